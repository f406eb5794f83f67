"""An export's PDFs, rendered in helper processes that end with the worker that started them."""

import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from flask import current_app

from navigator.certification import pdf

_renderer: pdf.Renderer | None = None  # in a PDF helper process: its own, made at start


def _helper_start(translations_path: str) -> None:
    """In each PDF helper process: end with the worker that started it, then load resources.

    A helper outliving a killed worker would hold its memory (~80 MB) for nothing. Linux ends
    it at once (PR_SET_PDEATHSIG); elsewhere, a thread notices the parent is gone.
    """
    global _renderer
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(0)  # the worker died before the above took hold

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
    pdf.resources()
    _renderer = pdf.Renderer(translations_path)


def _helper_pdf(doc: pdf.CertificateDoc, paper: str) -> bytes:
    """In a helper process: the certificate's HTML, its QR code and its PDF."""
    return _renderer.pdf(doc, paper)


def render_pdfs(docs: Iterator[pdf.CertificateDoc], paper: str, processes: int) -> Iterator[bytes]:
    """Certificates as PDFs, in order: in helper processes when there are many.

    Rendering is CPU-bound Python, so threads would take turns; processes use every core.
    Each helper builds the HTML and the QR code as well as the PDF, so this process only hands
    out documents (a few hundred bytes each) and writes what comes back. They are spawned
    (not forked: this process runs threads) and each loads the stylesheet, fonts and template
    once. A window of queued renders keeps memory flat however large the export.
    """
    if processes <= 1:
        for doc in docs:
            yield pdf.render(doc, paper)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_helper_start,
                             initargs=(current_app.config["TRANSLATIONS_PATH"],)) as pool:
        window: deque = deque()
        for doc in docs:
            window.append(pool.submit(_helper_pdf, doc, paper))
            if len(window) >= processes * 4:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
