"""Call QA Coach dashboard: ``streamlit run app.py [-- --db PATH --root DIR]``.

Only wiring: who is signed in decides which pages exist. Each page checks the role again
(``qa.ui.common.require``) and every query checks it where the data is read
(``qa.queries``), so a page reached by URL still shows nothing it should not.
"""

from __future__ import annotations

import streamlit as st

from qa import queries
from qa.auth import AGENT, COACH, LEAD
from qa.ui import common, signin

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
    disputes = st.Page("qa/ui/disputes.py", url_path="disputes", icon=":material/gavel:",
                       title=f"Disputes ({open_disputes})" if open_disputes else "Disputes")
    pages = {LEAD: [overview, calls, review, disputes, coaching, themes, calibration, batch],
             COACH: [calls, review, disputes, coaching],
             AGENT: [feedback]}[who.role]
    page = st.navigation(pages)
    signin.sidebar(who)

page.run()
