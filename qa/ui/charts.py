"""Altair charts for the dashboard: each answers one question, with readable labels.

Scores are always on a fixed 0-100 scale so charts can be compared at a glance; the colour
scale for scores runs red (low) to green (high) everywhere.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from qa.ui.common import criterion_name

SCORE_SCALE = alt.Scale(domain=[0, 100])
SCORE_COLORS = alt.Scale(domain=[30, 65, 100], range=["#d7301f", "#fdd49e", "#1a9850"])


def criterion_bars(rows: list[dict[str, Any]], selected: str | None = None) -> alt.Chart:
    """Mean score per criterion, weakest at the top (where the coaching effort should go)."""
    df = pd.DataFrame([r for r in rows if r["average"] is not None])
    df["name"] = df["criterion"].map(criterion_name)
    df["selected"] = df["criterion"] == selected if selected else True
    df["label"] = df["average"].map(lambda v: f"{v:.0f}")
    order = df.sort_values("average")["name"].tolist()
    base = alt.Chart(df).encode(
        y=alt.Y("name:N", sort=order, title=None,
                axis=alt.Axis(labelLimit=220, labelOverlap=False)),
        x=alt.X("average:Q", scale=SCORE_SCALE, title="Mean score"),
        tooltip=[alt.Tooltip("name:N", title="Criterion"),
                 alt.Tooltip("average:Q", title="Mean", format=".1f"),
                 alt.Tooltip("calls:Q", title="Calls", format=",")])
    bars = base.mark_bar().encode(
        color=alt.Color("average:Q", scale=SCORE_COLORS, legend=None),
        opacity=alt.condition("datum.selected", alt.value(1.0), alt.value(0.35)))
    text = base.mark_text(align="left", dx=3).encode(text="label:N")
    return (bars + text).properties(height=max(160, 26 * len(df)))


def distribution(rows: list[dict[str, Any]], width: int, what: str) -> alt.Chart:
    """How many calls scored in each band: spread and outliers a mean hides."""
    df = pd.DataFrame(rows)
    df["range"] = df["band"].map(lambda b: f"{int(b)}–{int(b) + width}")
    df["mid"] = df["band"] + width / 2
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("range:N", sort=alt.SortField("band"), title=f"{what} score"),
        y=alt.Y("calls:Q", title="Calls", axis=alt.Axis(tickMinStep=1, format=",d")),
        color=alt.Color("mid:Q", scale=SCORE_COLORS, legend=None),
        tooltip=[alt.Tooltip("range:N", title="Score"),
                 alt.Tooltip("calls:Q", title="Calls", format=",")],
    ).properties(height=260)


def trend(rows: list[dict[str, Any]], what: str, bucket: str = "week") -> alt.Chart:
    """Mean score per day or week: the team as a thick line, chosen agents as thin ones."""
    df = pd.DataFrame(rows)
    df["week"] = pd.to_datetime(df["week"])
    df["team"] = df["series"] == "Team"
    # One tick per bucket at most, so a short period does not repeat the same day label.
    ticks = {"interval": bucket, "step": max(1, df["week"].nunique() // 12)}
    return alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("week:T", title=bucket.capitalize(),
                axis=alt.Axis(format="%d %b %y", tickCount=ticks)),
        y=alt.Y("average:Q", title=f"Mean {what} score", scale=alt.Scale(zero=False),
                axis=alt.Axis(format=".0f")),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
        strokeWidth=alt.condition("datum.team", alt.value(3), alt.value(1.5)),
        tooltip=[alt.Tooltip("series:N", title="Who"),
                 alt.Tooltip("week:T", title=bucket.capitalize(), format="%d %b %Y"),
                 alt.Tooltip("average:Q", title="Mean", format=".1f"),
                 alt.Tooltip("calls:Q", title="Calls", format=",")],
    ).properties(height=280)


def heatmap(rows: list[dict[str, Any]]) -> alt.Chart:
    """Agents (weakest overall first) against criteria: who needs help with what."""
    df = pd.DataFrame([r for r in rows if r["average"] is not None])
    df["name"] = df["criterion"].map(criterion_name)
    agent_order = df.groupby("agent")["average"].mean().sort_values().index.tolist()
    crit_order = df.groupby("name")["average"].mean().sort_values().index.tolist()
    return alt.Chart(df).mark_rect().encode(
        x=alt.X("name:N", sort=crit_order, title=None,
                axis=alt.Axis(orient="top", labelAngle=-40, labelLimit=160, labelOverlap=False)),
        y=alt.Y("agent:N", sort=agent_order, title=None,
                axis=alt.Axis(labelLimit=160, labelOverlap=False)),
        color=alt.Color("average:Q", scale=SCORE_COLORS, title="Mean score",
                        legend=alt.Legend(gradientLength=160)),
        tooltip=[alt.Tooltip("agent:N", title="Agent"), alt.Tooltip("name:N", title="Criterion"),
                 alt.Tooltip("average:Q", title="Mean", format=".1f"),
                 alt.Tooltip("calls:Q", title="Calls", format=",")],
    ).properties(height=max(200, 16 * len(agent_order)))


def points_cost(points: list[dict[str, Any]], names: dict[str, str]) -> alt.Chart:
    """Overall-score points each recurring coaching point costs per call, biggest first."""
    df = pd.DataFrame([{"point": names[p["label"]], "per_call": p["per_call"],
                        "share": p["share"], "occurrences": p["occurrences"]} for p in points])
    return alt.Chart(df).mark_bar(color="#d7301f").encode(
        y=alt.Y("point:N", sort="-x", title=None, axis=alt.Axis(labelLimit=380)),
        x=alt.X("per_call:Q", title="Overall points lost per call (average)"),
        tooltip=[alt.Tooltip("point:N", title="Coaching point"),
                 alt.Tooltip("per_call:Q", title="Points per call", format=".2f"),
                 alt.Tooltip("share:Q", title="Share of calls", format=".0%"),
                 alt.Tooltip("occurrences:Q", title="Times", format=",")],
    ).properties(height=max(120, 26 * len(df)))


def versus_team(agent_rows: list[dict[str, Any]], median_rows: list[dict[str, Any]],
                criterion: str, agent_label: str, bucket: str) -> alt.Chart:
    """One criterion over time: the agent's mean against the team median."""
    mine = [{"bucket": r["bucket"], "score": r["average"], "who": agent_label,
             "calls": r["calls"]} for r in agent_rows if r["criterion"] == criterion]
    team = [{"bucket": r["bucket"], "score": r["median"], "who": "Team median", "calls": None}
            for r in median_rows if r["criterion"] == criterion]
    df = pd.DataFrame(mine + team, columns=["bucket", "score", "who", "calls"])
    df["bucket"] = pd.to_datetime(df["bucket"])
    fmt = "%d %b" if bucket == "week" else "%b %Y"
    ticks = {"interval": bucket, "step": max(1, df["bucket"].nunique() // 10)}
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("bucket:T", title=bucket.capitalize(),
                axis=alt.Axis(format=fmt, tickCount=ticks)),
        y=alt.Y("score:Q", title=f"{criterion_name(criterion)} score", scale=SCORE_SCALE),
        color=alt.Color("who:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=[agent_label, "Team median"],
                                        range=["#1f77b4", "#9e9e9e"])),
        strokeDash=alt.StrokeDash("who:N", legend=None,
                                  scale=alt.Scale(domain=[agent_label, "Team median"],
                                                  range=[[1, 0], [5, 4]])),
        tooltip=[alt.Tooltip("who:N", title="Who"),
                 alt.Tooltip("bucket:T", title=bucket.capitalize(), format="%d %b %Y"),
                 alt.Tooltip("score:Q", title="Score", format=".1f"),
                 alt.Tooltip("calls:Q", title="Calls")],
    ).properties(height=260)
