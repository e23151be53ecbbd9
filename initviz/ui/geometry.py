"""The Geometry page (placeholder until initviz.geometry lands)."""
import streamlit as st


def render(settings):
    st.title("Geometry")
