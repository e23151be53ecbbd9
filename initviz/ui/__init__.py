"""The Streamlit pages of initviz (imported by ``app.py`` only; ``import initviz`` never loads them).

Layout
------
* :mod:`.links` — the link schema (pure, no Streamlit): every page's URL parameters with types,
  defaults, ranges/allowed values; ``parse(page, raw) -> (settings, notices)`` and
  ``canonical(page, settings)``. It is the public link API (the README documents it). A package:
  :mod:`.links.grammar` (parameters, values, links; no page), :mod:`.links.common` (the scheme
  parameters, the scheme choice, the seed) and one module per page with its parameters, its
  cross-field rule and, where the page runs the core on its settings, its run plan
  (:func:`.links.propagation.runs`).
* :mod:`.nav` — the page list (path, title, icon, module) and the default page, in one place.
* :mod:`.frame` — what every page run does around the page: the link round trip
  (URL → settings → widgets → URL), the notices for what a link asked but could not get, the
  error catch-all (:func:`.frame.guard`), the "Copy link" box.
* :mod:`.widgets` — :func:`.widgets.control` (the widget of a link parameter; key = URL name) and
  :func:`.widgets.chart` (a figure with PNG export and a caption naming its view, a CSV download
  of its table after a comment line with the link; a builder's figure is kept per view and chart for
  every session) and :func:`.widgets.formula` (a display equation); both are recorded for the view's
  HTML report (:mod:`.report`, offered by the frame after the page's charts).
* :mod:`.workers` — heavy computations in worker processes (``workers.run``), off the server's GIL.
* :mod:`.main` — the frame of every run (page config, process settings, navigation); ``app.py`` calls it.
* One module per page with ``render(settings)``; page scripts in ``pages/`` are two lines.

How to add a page (e.g. ``propagation``)
---------------------------------------
1. Schema: a module ``initviz/ui/links/propagation.py`` holding ``SCHEMA = PageSchema("propagation",
   (Param(...), ...), constrain)`` (from :mod:`.links.grammar`), and nothing but the page's link: add
   the module to :data:`.links.PAGES` (order = the README table's) and re-export from
   ``links/__init__.py`` what other modules read as ``links.<name>``. A parameter's name is its URL
   name and widget key (``[a-z0-9_]+``). Use ``kind`` int/float (``lo``/``hi``, or ``options`` for a
   ladder), ``choice`` (lower-case ``options`` + display ``labels``), ``multi`` or ``bool``; ``when``
   for a parameter that only applies to some choices; ``constrain`` for cross-field limits (a compute
   budget, applied when ``deployment.current().page_budgets``) returning ``(settings, [Notice(...)])`` —
   except where the budget would change the question: Propagation's ``fit(settings)`` is called by the
   page, cuts only the sample and otherwise offers choices (:func:`.frame.control_notices` shows a
   notice under its control).
   :func:`.links.common.scheme_params` generates the parameters of every init scheme
   (``<prefix><scheme>_<param>``, checked by the scheme's own rule) from ``initviz.SCHEMES``;
   :func:`.links.common.scheme_choice` and :func:`.links.common.seed` are the shared ones. Cost a
   view with the core's own accounting (e.g. ``initviz.propagation.cost``), never a copy of it.
   Run plan: when settings become core calls by more than reading them (networks to build, one run
   per compared scheme), the same module writes that mapping once — :func:`.links.propagation.runs`
   gives one :class:`~.links.propagation.Run` per network (legend name, the keyword arguments of
   ``Network.mlp`` or ``Network.residual_net`` — ``Run.build()`` —, ``propagate`` and ``predict``) —
   and the page and ``bench/run.py`` both call
   the core through it, so a parameter added to the page is added in one place (Geometry and
   Initializers pass their settings to the core as they are and have none). Then
   ``python scripts/link_schema.py --write`` regenerates the README's link table (``tests/test_readme.py``).
2. Page module ``initviz/ui/propagation.py`` with ``render(settings)``: draw each control with
   ``control("<name>")`` (never pass a value: the frame seeds it), read values from ``settings``
   (already validated), make the run plan's calls (adding only what is the page's: its deadline)
   through functions decorated with
   ``st.cache_data(max_entries=..., max_size=...)`` taking small hashable arguments (a frozen config,
   ints, strings — never arrays; a heavy computation inside one goes through
   ``workers.run(fn, ...)``, which runs it in a worker process, off the server's GIL), build figures
   with :mod:`initviz.figures` and show each with
   ``chart(lambda: fig_..., table, key=..., name=file_name("propagation", scheme, f"depth{d}", ...))``:
   given a builder, ``chart`` builds the figure once per view (page and canonical link) and chart
   key and reuses it for every session (``reuse=False`` for a result that is not a function of the
   settings alone, e.g. one cut short by a deadline); a built figure is shown as it is.
   Show display equations with ``formula(r"...")`` (not ``st.latex``) so the report has them too.
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
