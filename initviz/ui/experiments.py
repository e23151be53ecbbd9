"""The Experiments page (work in progress)."""

import streamlit as st


def render(settings) -> None:
    st.write("Experiments")
