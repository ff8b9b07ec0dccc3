"""Sphinx glue for the book: summary pages read last and always, version in the footer.

The scorecard and the figure gallery summarise what the chapters wrote while
they executed, so Sphinx must read (and execute) them after every chapter and
on every build, even when they themselves did not change.
"""
from __future__ import annotations

SUMMARY_PAGES = ("book/scorecard", "book/performance", "book/gallery")


def _read_summaries_last(app, env, docnames: list[str]) -> None:
    for name in SUMMARY_PAGES:
        if name in docnames:
            docnames.remove(name)
            docnames.append(name)


def _always_outdated(app, env, added, changed, removed) -> list[str]:
    return [name for name in SUMMARY_PAGES if name in env.found_docs]


def _theme_options(app, config) -> None:
    import repgeom
    from repgeom import runtime

    text = (f"repgeom {repgeom.__version__}, commit {runtime.commit()}, "
            f"profile {runtime.profile()}. Cite with CITATION.cff; each figure's provenance is in the figure gallery.")
    options = dict(config.html_theme_options or {})
    options["extra_footer"] = f"<p>{text}</p>" + (options.get("extra_footer") or "")
    config.html_theme_options = options


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    # sphinx-thebe 0.3 registers its inline config script twice under Sphinx 7
    # ("Identifier 'THEBE_JS_URL' has already been declared" in the console).
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body")
        key = ("inline", body) if body else ("file", str(getattr(script, "filename", script)))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("config-inited", _theme_options)
    app.connect("env-before-read-docs", _read_summaries_last)
    app.connect("env-get-outdated", _always_outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
