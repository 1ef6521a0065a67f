// Labels in English and Chinese. Elements with data-i18n="key" get the label as text;
// data-i18n-placeholder sets a placeholder. t(key) gives a label for dynamic text.
"use strict";

const LABELS = {
  en: {
    app: "Environmental-rights exchange workshop", lang: "中文",
    join_title: "Join a game", code: "Join code", team_name: "Team name", join: "Join",
    host_link: "Facilitator: set up a game", host_title: "Set up a game",
    scenario: "Scenario", teams: "Teams", seed: "Seed", days_per_round: "Trading days per round",
    seconds_per_day: "Seconds per trading day", break_seconds: "Break between rounds (s, empty: wait for me)",
    overrides: "Scenario changes (one per line, e.g. exchange.band=0.2)", title: "Title",
    choose_firms: "Firms played by teams", suggest: "Suggest firms", create: "Create game",
    banks_note: "Banks: this scenario has none; bank roles come with the banking model.",
    console: "Facilitator console", open_round: "Start next round", pause: "Pause",
    resume: "Resume", end_round: "End round now", end_game: "End game", debrief: "Debrief",
    status: "Status", round: "Round", day: "Day", year: "Year", time: "Time", left: "left",
    lobby: "waiting to start", open: "trading", paused: "paused", break: "between rounds",
    ended: "ended", markets: "Markets", market: "Market", price: "Price", last: "Last",
    reference: "Reference", equilibrium: "Equilibrium", bid: "Bid", ask: "Ask",
    volume: "Volume", band: "Band", phase: "Phase", call: "opening auction",
    continuous: "continuous", closed: "closed", team: "Team", firm: "Firm", region: "Region",
    cash: "Cash", emissions: "Emissions", allocation: "Allocation", held: "Held",
    need: "Still short", spare: "Spare", abatement: "Abatement", orders: "Open orders",
    trades: "Trades", recent_trades: "Recent trades", my_trades: "My trades",
    cross_border: "Cross-border flows", from: "from", to: "to", price_path: "Price path",
    join_codes: "Join codes", joined: "joined", not_joined: "not joined yet",
    position: "Position", compliance: "Compliance", buy: "Buy", sell: "Sell",
    quantity_t: "Quantity (t)", price_yuan_t: "Price (yuan/t)", place: "Place order",
    cancel: "Cancel", gtc: "good till cancelled", day_order: "today only", tif: "Valid",
    holdings: "Holdings", available: "available", locked: "in orders", pledged: "pledged",
    mac_title: "Marginal abatement cost", set_abatement: "Set abatement",
    automatic: "Automatic", plan: "Plan", automatic_plan: "automatic (decided at the true-up)",
    cost_at_plan: "Cost of this abatement", mac_at_plan: "Marginal cost here",
    next_t: "Cost of one more tonne", tax: "Emission tax", penalty: "Penalty per missing t",
    permit_price_tax: "price + tax", surrendered: "Surrendered", shortfall: "Shortfall",
    abatement_cost: "Abatement cost", env_tax: "Tax", penalty_paid: "Penalty",
    compliant: "compliant", not_compliant: "short", none_yet: "None yet",
    finance: "Finance", lots: "lots", yuan_t: "yuan/t", t: "t", yuan: "yuan",
    connected: "live", disconnected: "reconnecting…", order_placed: "Order placed",
    order_traded: "Traded", cancelled: "Cancelled", saved: "Saved", debrief_title: "Debrief",
    download: "Download report", team_costs: "Each team's cost against its benchmark",
    cost: "Cost", benchmark: "Equilibrium benchmark", without_trade: "Without trading",
    gain: "Gain from trade", market_costs: "Market cost and gains from cross-border trade",
    actual_cost: "Actual abatement cost", design_cost: "Equilibrium of this design",
    autarky_cost: "Each region alone", integrated_cost: "One basin market",
    least_cost: "Least cost", cross_gain: "Gain from cross-border trade",
    by_region: "Who gained and who paid, by region", paid_rights: "Paid for rights (net)",
    bought: "Bought", sold: "Sold", pollutant: "Pollutant", value: "Value",
    no_compliance: "No compliance year has closed yet.", copy_link: "Console link",
    players_screen: "Participant page", confirm_end: "End the game for everyone?",
    round_done: "Round over. Wait for the facilitator.", true_up_at: "True-up at the end of day",
    quota_left: "Cross-border quota left", none: "—", mine: "mine",
    game_over: "The game has ended.", see_debrief: "See the debrief",
  },
  zh: {
    app: "环境权益交易工作坊", lang: "English",
    join_title: "加入游戏", code: "加入码", team_name: "队伍名称", join: "加入",
    host_link: "主持人：创建游戏", host_title: "创建游戏",
    scenario: "情景", teams: "队伍数", seed: "随机种子", days_per_round: "每轮交易日数",
    seconds_per_day: "每个交易日的秒数", break_seconds: "轮间休息（秒，留空则等待主持人）",
    overrides: "情景修改（每行一项，例如 exchange.band=0.2）", title: "标题",
    choose_firms: "由队伍扮演的企业", suggest: "推荐企业", create: "创建游戏",
    banks_note: "银行：该情景中没有银行；银行角色将随银行模型提供。",
    console: "主持人控制台", open_round: "开始下一轮", pause: "暂停", resume: "继续",
    end_round: "立即结束本轮", end_game: "结束游戏", debrief: "复盘",
    status: "状态", round: "轮次", day: "交易日", year: "年度", time: "时间", left: "剩余",
    lobby: "等待开始", open: "交易中", paused: "已暂停", break: "轮间休息", ended: "已结束",
    markets: "市场", market: "市场", price: "价格", last: "最新", reference: "参考价",
    equilibrium: "均衡价", bid: "买价", ask: "卖价", volume: "成交量", band: "涨跌幅限制",
    phase: "阶段", call: "集合竞价", continuous: "连续竞价", closed: "休市",
    team: "队伍", firm: "企业", region: "地区", cash: "资金", emissions: "排放量",
    allocation: "配额", held: "持有", need: "缺口", spare: "富余", abatement: "减排量",
    orders: "未成交委托", trades: "成交", recent_trades: "最新成交", my_trades: "我的成交",
    cross_border: "跨区交易流量", from: "从", to: "到", price_path: "价格走势",
    join_codes: "加入码", joined: "已加入", not_joined: "尚未加入", position: "持仓",
    compliance: "履约", buy: "买入", sell: "卖出", quantity_t: "数量（吨）",
    price_yuan_t: "价格（元/吨）", place: "下单", cancel: "撤单", gtc: "撤销前有效",
    day_order: "当日有效", tif: "有效期", holdings: "持有权利", available: "可用",
    locked: "委托占用", pledged: "已质押", mac_title: "边际减排成本",
    set_abatement: "设定减排量", automatic: "自动", plan: "计划",
    automatic_plan: "自动（履约时决定）", cost_at_plan: "该减排量的成本",
    mac_at_plan: "此处边际成本", next_t: "多减一吨的成本", tax: "环境保护税",
    penalty: "每吨缺口罚款", permit_price_tax: "价格 + 税", surrendered: "上缴",
    shortfall: "缺口", abatement_cost: "减排成本", env_tax: "税", penalty_paid: "罚款",
    compliant: "已履约", not_compliant: "未足额履约", none_yet: "暂无", finance: "融资",
    lots: "手", yuan_t: "元/吨", t: "吨", yuan: "元", connected: "实时",
    disconnected: "正在重连…", order_placed: "委托已提交", order_traded: "已成交",
    cancelled: "已撤单", saved: "已保存", debrief_title: "复盘", download: "下载报告",
    team_costs: "各队合规成本与基准", cost: "成本", benchmark: "均衡基准",
    without_trade: "不交易时", gain: "交易收益", market_costs: "市场成本与跨区交易收益",
    actual_cost: "实际减排成本", design_cost: "本设计的均衡", autarky_cost: "各自为市",
    integrated_cost: "流域统一市场", least_cost: "最低成本", cross_gain: "跨区交易收益",
    by_region: "各地区的收益与支出", paid_rights: "购买权利净支出", bought: "买入",
    sold: "卖出", pollutant: "污染物", value: "金额", no_compliance: "尚无完成履约的年度。",
    copy_link: "控制台链接", players_screen: "参与者页面", confirm_end: "为所有人结束游戏？",
    round_done: "本轮结束，请等待主持人。", true_up_at: "履约结算于交易日结束",
    quota_left: "剩余跨区额度", none: "—", mine: "我的", game_over: "游戏已结束。",
    see_debrief: "查看复盘",
  },
};

let LANG = localStorage.getItem("cgx.lang") ||
  ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en");

function t(key) {
  return (LABELS[LANG] && LABELS[LANG][key]) || LABELS.en[key] || key;
}

function applyLabels(root = document) {
  document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
}

function setupLanguageToggle(onChange) {
  const button = document.getElementById("lang");
  if (!button) return;
  button.addEventListener("click", () => {
    LANG = LANG === "zh" ? "en" : "zh";
    localStorage.setItem("cgx.lang", LANG);
    applyLabels();
    if (onChange) onChange();
  });
  applyLabels();
}
