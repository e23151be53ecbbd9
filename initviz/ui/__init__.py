"""The Streamlit pages of initviz (imported by ``app.py`` only; ``import initviz`` never loads them).

Layout
------
* :mod:`.links` — the link schema (pure, no Streamlit): every page's URL parameters with types,
  defaults, ranges/allowed values; ``parse(page, raw) -> (settings, notices)`` and
  ``canonical(page, settings)``. It is the public link API (the README documents it).
* :mod:`.nav` — the page list (path, title, icon, module) and the default page, in one place.
* :mod:`.frame` — what every page run does around the page: the link round trip
  (URL → settings → widgets → URL), the notices for what a link asked but could not get, the
  error catch-all (:func:`.frame.guard`), the "Copy link" box.
* :mod:`.widgets` — :func:`.widgets.control` (the widget of a link parameter; key = URL name) and
  :func:`.widgets.chart` (a figure with SVG export and a CSV download of its table; a builder's
  figure is kept per view and chart for every session).
* :mod:`.workers` — heavy computations in worker processes (``workers.run``), off the server's GIL.
* :mod:`.main` — the frame of every run (page config, process settings, navigation); ``app.py`` calls it.
* One module per page with ``render(settings)``; page scripts in ``pages/`` are two lines.

How to add a page (e.g. ``propagation``)
---------------------------------------
1. Schema: in :mod:`.links`, write ``_propagation_schema() -> PageSchema("propagation", (Param(...), ...),
   constrain)`` and add it to :data:`.links.SCHEMAS`. A parameter's name is its URL name and widget
   key (``[a-z0-9_]+``). Use ``kind`` int/float (``lo``/``hi``, or ``options`` for a ladder),
   ``choice`` (lower-case ``options`` + display ``labels``), ``multi`` or ``bool``; ``when`` for a
   parameter that only applies to some choices; ``constrain`` for cross-field limits (a compute
   budget) returning ``(settings, [Notice(...)])``. :func:`.links.scheme_params` generates the
   parameters of every init scheme (``<prefix><scheme>_<param>``) from ``initviz.SCHEMES``.
2. Page module ``initviz/ui/propagation.py`` with ``render(settings)``: draw each control with
   ``control("<name>")`` (never pass a value: the frame seeds it), read values from ``settings``
   (already validated), compute through functions decorated with
   ``st.cache_data(max_entries=..., max_size=...)`` taking small hashable arguments (a frozen config,
   ints, strings — never arrays; a heavy computation inside one goes through
   ``workers.run(fn, ...)``, which runs it in a worker process, off the server's GIL), build figures
   with :mod:`initviz.figures` and show each with
   ``chart(lambda: fig_..., table, key=..., name=file_name("propagation", scheme, f"depth{d}", ...))``:
   given a builder, ``chart`` builds the figure once per view (page and canonical link) and chart
   key and reuses it for every session (``reuse=False`` for a result that is not a function of the
   settings alone, e.g. one cut short by a deadline); a built figure is shown as it is.
   Wrap independent sections in ``with guard("propagation: <section>"):`` so one failure does not
   blank the page. The frame already draws the page title and the notices.
3. Page script ``initviz/ui/pages/propagation.py``::

       from initviz.ui.frame import run_page

       run_page("propagation")

4. Register it in :data:`.nav.PAGES` (order = navigation order); set :data:`.nav.DEFAULT_PAGE`
   if it should open first.
5. Tests: ``tests/test_app_<page>.py`` with ``AppTest`` (``tests/test_app_support.py`` decodes the
   chart JSON), and a schema check in ``tests/test_links.py`` runs over every page automatically.

To open a page with given settings from code (an Experiments preset), call
:func:`.frame.goto` ``(path, settings)``, or use ``st.page_link(nav.entry(path).script,
query_params=links.canonical(path, settings))`` for a real link.
"""
