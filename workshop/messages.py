"""Refusals in plain words, in English and Chinese.

Every refusal has a stable code (the exchange's ``OrderRejected.reason`` where it comes from
the market) and two sentences. Templates take the refusal's parameters by name.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    # the exchange's reasons
    "market_closed": ("The market is between sessions; try again in a moment.",
                      "市场处于休市时段，请稍后再试。"),
    "bad_lots": ("The quantity must be a whole number of lots above zero.",
                 "数量必须是大于零的整数手。"),
    "too_large": ("The order is larger than one listed order may be.",
                  "委托数量超过单笔挂牌委托上限。"),
    "bad_price": ("The price must be above zero.", "价格必须大于零。"),
    "outside_band": ("The price is outside today's band of {low} to {high} yuan/t.",
                     "价格超出今日涨跌幅限制（{low}–{high} 元/吨）。"),
    "not_eligible": ("Your firm may not {side} in this market.", "贵企业不能在该市场{side_zh}。"),
    "quota_exhausted": ("This year's cross-border quota is used up.",
                        "本年度跨区交易额度已用完。"),
    "self_trade": ("The order would trade with one of your own orders; cancel that one first.",
                   "该委托会与您自己的委托成交，请先撤销那笔委托。"),
    "insufficient_cash": ("Not enough cash for this order.", "资金不足，无法下此委托。"),
    "insufficient_units": ("Not enough units to sell: some may be held by open orders.",
                           "可卖数量不足：部分权利可能已被未成交委托占用。"),
    "unknown_market": ("There is no such market now.", "当前没有该市场。"),
    # the game's
    "not_started": ("The game has not started yet.", "游戏尚未开始。"),
    "round_closed": ("The round is closed; wait for the next one.",
                     "本轮交易已结束，请等待下一轮。"),
    "round_paused": ("The facilitator has paused the round.", "主持人已暂停本轮交易。"),
    "round_open": ("A round is open already.", "已有一轮交易正在进行。"),
    "game_ended": ("The game has ended.", "游戏已结束。"),
    "no_more_rounds": ("All rounds have been played.", "所有轮次均已完成。"),
    "unknown_order": ("That is not one of your open orders.", "这不是您的未成交委托。"),
    "unknown_pollutant": ("Your firm does not emit {pollutant}.", "贵企业不排放{pollutant}。"),
    "bad_abatement": ("Abatement must be between 0 and {max_t} t.",
                      "减排量必须在 0 到 {max_t} 吨之间。"),
    "unknown_action": ("Unknown action.", "未知操作。"),
    "bad_code": ("No team has that join code.", "没有与该加入码对应的队伍。"),
    "code_taken": ("That code and team name do not match; check both, or ask the "
                   "facilitator.", "加入码与队伍名称不符；请检查两者，或询问主持人。"),
    "too_slow": ("The server took too long to prepare that scenario; try a smaller one.",
                 "服务器准备该情景用时过长，请尝试较小的情景。"),
    "too_many_attempts": ("Too many attempts; wait a minute and try again.",
                          "尝试次数过多，请稍候一分钟再试。"),
    "bad_team_name": ("A team name is printable text: no control, zero-width or "
                      "direction characters.", "队伍名称须为可打印文字：不得含控制、零宽或方向字符。"),
    "scenario_too_large": ("The scenario has {firms} firms; a workshop game takes at most "
                           "{max_firms}.", "该情景有 {firms} 家企业；研讨游戏最多 {max_firms} 家。"),
    "unknown_game": ("There is no such game.", "没有该游戏。"),
    "bad_token": ("Your session is missing or not valid; join again.",
                  "会话无效或缺失，请重新加入。"),
    "forbidden": ("Your session does not allow this.", "您的会话无权进行此操作。"),
    "not_finished": ("The debrief opens when the game has ended.", "游戏结束后才能查看总结。"),
    "invalid_input": ("Invalid input: {detail}", "输入无效：{detail}"),
    "bad_scenario": ("The scenario cannot be used: {detail}", "无法使用该情景：{detail}"),
    "no_banks": ("This scenario has no banks: bank roles come with the banking model.",
                 "该情景中没有银行：银行角色将随银行模型提供。"),
    "server_error": ("The server could not save that; nothing was done. Try again.",
                     "服务器未能保存该操作，操作未执行，请重试。"),
}


def message(code: str, params: dict[str, Any] | None = None) -> tuple[str, str]:
    """English and Chinese sentences of a refusal; an unknown code gives a generic one."""
    en, zh = MESSAGES.get(code, ("The action was refused ({code}).", "操作被拒绝（{code}）。"))
    values = {"code": code, **(params or {})}
    try:
        return en.format(**values), zh.format(**values)
    except (KeyError, IndexError):
        return en, zh


class Refused(Exception):
    """An action the game will not carry out; ``code`` names the reason.

    Attributes:
        code: a key of :data:`MESSAGES`.
        params: values for the message templates.
        status: the HTTP status a server answers with.
    """

    def __init__(self, code: str, status: int = 409, **params: Any) -> None:
        self.code = code
        self.params = params
        self.status = status
        super().__init__(message(code, params)[0])

    def as_json(self) -> dict[str, Any]:
        en, zh = message(self.code, self.params)
        return {"error": self.code, "message": en, "message_zh": zh}


__all__ = ["MESSAGES", "Refused", "message"]
