"""Call QA Coach dashboard: ``qa dashboard [--db PATH] [--port N]``, or from a checkout
``streamlit run app.py [-- --db PATH --root DIR]``.

Only wiring: who is signed in decides which pages exist. Each page checks the role again
(``qa.ui.common.require``) and every query checks it where the data is read
(``qa.queries``), so a page reached by URL still shows nothing it should not.
"""

from __future__ import annotations

import streamlit as st

from qa import queries
from qa.auth import AGENT, COACH, LEAD
from qa.ui import common, signin

PAGES = common.PAGE_DIR


def main() -> None:
    """Render one run of the app: the sign-in page, or the signed-in viewer's pages."""
    st.set_page_config(page_title="Call QA Coach", page_icon=":material/support_agent:",
                       layout="wide")

    conn = common.connect()
    who = common.viewer(conn)
    # The open disputes waiting for a coach, counted on the sidebar entry (staff only).
    open_disputes = (queries.open_dispute_count(conn, who)
                     if who is not None and who.role in queries.STAFF else 0)
    conn.close()

    if who is None:
        page = st.navigation([st.Page(signin.render, title="Sign in", url_path="signin",
                                      icon=":material/login:")], position="hidden")
    else:
        overview = st.Page(PAGES / "overview.py", title="Team overview", url_path="overview",
                           icon=":material/insights:")
        batch = st.Page(PAGES / "batch.py", title="Batch scoring", url_path="batch",
                        icon=":material/queue_play_next:")
        calls = st.Page(PAGES / "calls.py", title="Calls", url_path="calls",
                        icon=":material/call_log:")
        review = st.Page(PAGES / "review.py", title="Call review", url_path="review",
                         icon=":material/rate_review:")
        coaching = st.Page(PAGES / "coaching.py", title="Coaching points", url_path="coaching",
                           icon=":material/school:")
        feedback = st.Page(PAGES / "feedback.py", title="My feedback", url_path="feedback",
                           icon=":material/thumb_up:")
        calibration = st.Page(PAGES / "calibration.py", title="Calibration",
                              url_path="calibration", icon=":material/balance:")
        themes = st.Page(PAGES / "themes.py", title="Themes", url_path="themes",
                         icon=":material/category:")
        library = st.Page(PAGES / "library.py", title="Good moments", url_path="moments",
                          icon=":material/star:")
        sessions = st.Page(PAGES / "sessions.py", title="Coaching sessions",
                           url_path="sessions", icon=":material/co_present:")
        exports = st.Page(PAGES / "exports.py", title="Exports", url_path="exports",
                          icon=":material/download:")
        practice = st.Page(PAGES / "practice.py", title="Practice", url_path="practice",
                           icon=":material/record_voice_over:")
        accounts = st.Page(PAGES / "accounts.py", title="Accounts", url_path="accounts",
                           icon=":material/manage_accounts:")
        disputes = st.Page(PAGES / "disputes.py", url_path="disputes", icon=":material/gavel:",
                           title=f"Disputes ({open_disputes})" if open_disputes else "Disputes")
        pages = {LEAD: [overview, calls, review, disputes, coaching, practice, library,
                        sessions, themes, calibration, batch, exports, accounts],
                 COACH: [calls, review, disputes, coaching, practice, library, sessions],
                 AGENT: [feedback, practice, library, sessions]}[who.role]
        # Every page listed: a lead has thirteen, and a collapsed list hid the last three
        # (Exports and Accounts among them) behind "View more".
        page = st.navigation(pages, expanded=True)
        signin.sidebar(who)

    common.write_session_cookie()  # a sign-in or sign-out's cookie change, if one is pending
    page.run()


if __name__ == "__main__":  # how `streamlit run` executes a script
    main()
