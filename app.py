"""Call QA Coach dashboard: ``streamlit run app.py [-- --db PATH --root DIR]``.

Only wiring: who is signed in decides which pages exist. Each page checks the role again
(``qa.ui.common.require``) and every query checks it where the data is read
(``qa.queries``), so a page reached by URL still shows nothing it should not.
"""

from __future__ import annotations

import streamlit as st

from qa.auth import AGENT, COACH, LEAD
from qa.ui import common, signin

st.set_page_config(page_title="Call QA Coach", page_icon=":material/support_agent:",
                   layout="wide")

conn = common.connect()
who = common.viewer(conn)
conn.close()

if who is None:
    page = st.navigation([st.Page(signin.render, title="Sign in", url_path="signin",
                                  icon=":material/login:")], position="hidden")
else:
    overview = st.Page("qa/ui/overview.py", title="Team overview", url_path="overview",
                       icon=":material/insights:")
    batch = st.Page("qa/ui/batch.py", title="Batch scoring", url_path="batch",
                    icon=":material/queue_play_next:")
    calls = st.Page("qa/ui/calls.py", title="Calls", url_path="calls",
                    icon=":material/call_log:")
    review = st.Page("qa/ui/review.py", title="Call review", url_path="review",
                     icon=":material/rate_review:")
    coaching = st.Page("qa/ui/coaching.py", title="Coaching points", url_path="coaching",
                       icon=":material/school:")
    feedback = st.Page("qa/ui/feedback.py", title="My feedback", url_path="feedback",
                       icon=":material/thumb_up:")
    calibration = st.Page("qa/ui/calibration.py", title="Calibration", url_path="calibration",
                          icon=":material/balance:")
    themes = st.Page("qa/ui/themes.py", title="Themes", url_path="themes",
                     icon=":material/category:")
    accounts = st.Page("qa/ui/accounts.py", title="Accounts", url_path="accounts",
                       icon=":material/manage_accounts:")
    pages = {LEAD: [overview, calls, review, coaching, themes, calibration, batch, accounts],
             COACH: [calls, review, coaching],
             AGENT: [feedback]}[who.role]
    page = st.navigation(pages)
    signin.sidebar(who)

common.write_session_cookie()  # a sign-in or sign-out's cookie change, if one is pending
page.run()
