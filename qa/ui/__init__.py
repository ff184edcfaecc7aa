"""The Streamlit dashboard's pages (one module per page) and what they share."""
