"""initviz — the Streamlit app (its frame is :mod:`initviz.ui.main`; pages live in ``initviz/ui``,
see its docstring for how to add one; every control is in the page's URL).

Run with ``make run`` (or ``streamlit run app.py``).
"""

if __name__ == "__main__":
    # Streamlit runs this file as "__main__". The worker processes of initviz.ui.workers load it as
    # their main module ("__mp_main__", multiprocessing's spawn): there is nothing for them to do.
    from initviz.ui.main import main

    main()
