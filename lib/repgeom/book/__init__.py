"""The book's machinery: a chapter's run and provenance (:mod:`.chapter`), claims and verdicts
(:mod:`.claims`), figures and their style (:mod:`.figures`), tables (:mod:`.tables`), publishing
(:mod:`.publish`), profiling (:mod:`.profiling`) and the Performance page's readings (:mod:`.benchmarks`).

It imports no measure, model or experiment.
"""
