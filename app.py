"""Call QA Coach dashboard from a checkout: ``streamlit run app.py [-- --db PATH --root DIR]``.

A thin wrapper: the app ships inside the package (``qa/ui/app.py``, what ``qa dashboard``
starts). Streamlit re-runs this script on every interaction, so it calls ``main()`` each time
rather than relying on an import, which would run only once.
"""

from qa.ui.app import main

main()
