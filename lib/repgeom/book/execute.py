"""Execute a chapter so that a person can follow it: which cell runs, for how long, and why it stopped.

:func:`execute_notebook` runs a notebook with nbclient, prints one line when
each code cell starts (its index, the section it belongs to and its first
comment or line) and one when it ends (its wall time), lets the cells' own
``stdout``/``stderr`` through to the terminal as they arrive (the chapters'
progress bars, unless ``REPGEOM_QUIET`` hides them), and never raises for a
failing cell, a kernel that dies or an interrupt: it returns a
:class:`RunResult` whose :class:`CellFailure` says in one line what happened
and what to do. The notebook object then holds the cells executed so far.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

import nbformat

from .profiling import label_of

__all__ = ["CellFailure", "RunResult", "cell_heading", "execute_notebook"]


@dataclass(frozen=True)
class CellFailure:
    """Why a run stopped before its end.

    Attributes
    ----------
    index : int
        The cell's index (as ``python -m repgeom run`` lists cells).
    label : str
        Its section and first comment or line.
    kind : {"error", "dead kernel", "interrupted", "timeout", "failure"}
    message : str
        The error's last line (``"ZeroDivisionError: division by zero"``), or what happened.
    seconds : float
        How long the cell had run.
    """

    index: int
    label: str
    kind: str
    message: str
    seconds: float

    def line(self, chapter: str, saved: str | None = None, kernel_log: str | Path | None = None) -> str:
        """The one line a person reads at the end: the cell, what happened, what to do (and where the rest is)."""
        where = f"cell {self.index} ({self.label}) after {self.seconds:.0f} s"
        todo = {
            "error": "fix the error and run again",
            "dead kernel": "the kernel process died (out of memory, or killed); try the quick profile, "
                           "fewer REPGEOM_THREADS or a machine with more memory",
            "interrupted": "run again to continue; finished training resumes from its checkpoints",
            "timeout": "the cell ran past the time limit; raise it or use the quick profile",
        }.get(self.kind, "run again; if it recurs, execute the notebook in Jupyter to see the whole traceback")
        keep = (f"; the cells run so far are in {saved}" if saved
                else "; add --save-notebook FILE.ipynb to keep the cells run so far")
        log = f"; the kernel's own messages are in {kernel_log}" if kernel_log and self.kind in ("dead kernel", "failure") else ""
        return f"error: {chapter} stopped in {where}: {self.message} ({self.kind}); {todo}{keep}{log}"


@dataclass
class RunResult:
    """What :func:`execute_notebook` did.

    Attributes
    ----------
    nb : nbformat.NotebookNode
        The notebook, executed up to the end or to the failing cell.
    seconds : float
        Wall time of the whole run.
    cells_run : int
        Code cells that finished.
    failure : CellFailure or None
        None when every cell ran.
    """

    nb: nbformat.NotebookNode
    seconds: float
    cells_run: int
    failure: CellFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def cell_heading(nb: nbformat.NotebookNode, index: int) -> str:
    """The last Markdown heading above cell ``index`` (empty when there is none)."""
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type != "markdown":
            continue
        heads = [line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")]
        if heads:
            return heads[-1]
    return ""


def _chain(err: BaseException) -> list[BaseException]:
    """``err`` and the exceptions it was raised from or while handling (nbclient's cleanup can mask the first)."""
    seen: list[BaseException] = []
    while err is not None and err not in seen:
        seen.append(err)
        err = err.__cause__ or err.__context__
    return seen


def _classify(err: BaseException, reply_error: str, interrupted: bool) -> tuple[str, str]:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    chain = _chain(err)
    if interrupted or any(isinstance(e, KeyboardInterrupt) for e in chain):
        return "interrupted", "stopped by Ctrl-C"
    if any(isinstance(e, DeadKernelError) for e in chain):
        return "dead kernel", "the kernel died"
    if any(isinstance(e, CellTimeoutError) for e in chain):
        return "timeout", "no reply within the time limit"
    for e in chain:
        if isinstance(e, CellExecutionError):
            if reply_error:
                return "error", reply_error
            lines = [line for line in str(e).splitlines() if line.strip()]
            return "error", lines[-1] if lines else type(e).__name__
    return "failure", f"{type(err).__name__}: {err}".strip().rstrip(":")


def execute_notebook(
    nb: nbformat.NotebookNode,
    cwd: Path,
    *,
    kernel_name: str = "python3",
    timeout: int | None = None,
    out: TextIO | None = None,
    echo: bool = True,
    index_of: Callable[[int], int | None] | None = None,
    kernel_log: Path | None = None,
) -> RunResult:
    """Execute ``nb`` in place, reporting each cell as it runs; never raise for a failing chapter.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook (e.g. a chapter read by jupytext); its cells receive their outputs.
    cwd : Path
        The kernel's working folder.
    kernel_name : str
    timeout : int, optional
        Seconds a cell may run (default: no limit).
    out : file, optional
        Where the cell lines go (default ``sys.stdout``); the cells' own ``stderr`` goes to ``sys.stderr``.
    echo : bool
        Let the cells' ``stdout`` and ``stderr`` (progress bars) through as they arrive.
    index_of : callable, optional
        Maps a cell's position in ``nb`` to the index shown (None: a cell the caller inserted, not reported).
    kernel_log : Path, optional
        File for the kernel process's own messages (its start-up warnings, the traceback of a crash);
        default: the terminal.

    Returns
    -------
    RunResult
    """
    import nbclient
    from nbclient.exceptions import CellExecutionError

    out = out or sys.stdout
    show = index_of or (lambda i: i)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    total = sum(1 for i in code if show(i) is not None)
    state: dict = {"current": None, "start": 0.0, "done": 0, "error": "", "interrupted": False, "sigint": False}

    def label(i: int) -> str:
        head = cell_heading(nb, i)
        first = label_of(nb.cells[i].source, width=60)
        return f"{head} · {first}" if head else first

    def on_interrupt() -> None:
        """Ctrl-C: interrupt the cell (it ends in KeyboardInterrupt, the kernel shuts down cleanly); twice: stop it."""
        from nbclient.util import ensure_async

        if state["interrupted"]:
            asyncio.ensure_future(client._async_cleanup_kernel())  # nbclient's own reaction to a signal
            return
        state["interrupted"] = True
        print("interrupting the running cell (Ctrl-C again to stop the kernel at once) ...", file=out, flush=True)
        asyncio.ensure_future(ensure_async(client.km.interrupt_kernel()))

    def on_execute(cell: nbformat.NotebookNode, cell_index: int) -> None:
        if not state["sigint"]:  # replaces nbclient's handler, which kills the kernel mid-cell
            try:
                asyncio.get_running_loop().add_signal_handler(signal.SIGINT, on_interrupt)
                state["sigint"] = True
            except (RuntimeError, NotImplementedError):  # not the main thread, or no signals (Windows)
                pass
        state.update(current=cell_index, start=time.perf_counter(), error="")
        shown = show(cell_index)
        if shown is not None:
            print(f"[{state['done'] + 1}/{total}] cell {shown}: {label(cell_index)}", file=out, flush=True)

    def on_executed(cell: nbformat.NotebookNode, cell_index: int, execute_reply: dict) -> None:
        seconds = time.perf_counter() - state["start"]
        if execute_reply.get("content", {}).get("status") == "error":
            return  # reported as the run's failure
        state.update(current=None)
        if show(cell_index) is not None:
            state["done"] += 1
            print(f"    cell {show(cell_index)} done in {seconds:.1f} s", file=out, flush=True)

    def on_error(cell: nbformat.NotebookNode, cell_index: int, execute_reply: dict) -> None:
        content = execute_reply.get("content", {})
        state["error"] = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}".strip().rstrip(":")

    class _Client(nbclient.NotebookClient):
        def output(self, outs, msg, display_id, cell_index):  # type: ignore[no-untyped-def]
            if echo and msg.get("msg_type") == "stream":
                stream = sys.stderr if msg["content"].get("name") == "stderr" else out
                stream.write(msg["content"].get("text", ""))
                stream.flush()
            return super().output(outs, msg, display_id, cell_index)

    quiet_log = logging.getLogger("repgeom.execute.nbclient")
    quiet_log.propagate = False
    quiet_log.addHandler(logging.NullHandler())
    client = _Client(nb, timeout=timeout, kernel_name=kernel_name, log=quiet_log,
                     resources={"metadata": {"path": str(cwd)}},
                     on_cell_execute=on_execute, on_cell_executed=on_executed, on_cell_error=on_error)
    log_file = None
    if kernel_log is not None:
        Path(kernel_log).parent.mkdir(parents=True, exist_ok=True)
        log_file = open(kernel_log, "w")  # noqa: SIM115 - closed below, after the kernel has stopped
    start = time.perf_counter()
    failure = None
    try:
        client.execute(**({"stderr": log_file} if log_file is not None else {}))
    except (Exception, KeyboardInterrupt) as err:  # noqa: BLE001 - every way a chapter can stop is reported
        kind, message = _classify(err, state["error"], state["interrupted"])
        index = state["current"]
        if index is None:  # outside a cell: starting or shutting down the kernel
            failure = CellFailure(-1, "kernel start or shutdown", kind, message, 0.0)
        else:
            shown = show(index)
            failure = CellFailure(index if shown is None else shown, label(index), kind, message,
                                  time.perf_counter() - state["start"])
        if not isinstance(err, CellExecutionError):
            _stop_kernel(client)
    finally:
        if log_file is not None:
            log_file.close()
    return RunResult(nb, time.perf_counter() - start, state["done"], failure)


def _stop_kernel(client: object) -> None:
    """Best effort: a kernel left running after an interrupt or a crash of the client is shut down."""
    from nbclient.util import ensure_async, run_sync

    km = getattr(client, "km", None)
    if km is None:
        return

    async def stop() -> None:
        if await ensure_async(km.is_alive()):
            await ensure_async(km.shutdown_kernel(now=True))

    try:
        run_sync(stop)()
    except Exception:  # noqa: BLE001 - already dead, or half cleaned up by nbclient
        pass
