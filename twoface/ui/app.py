"""The Gradio page: one tab per stage (Faces, Train, Convert, One-shot, Live) plus the
Workspace's contents. Every button calls a function of :mod:`twoface.ui.actions` or
:mod:`twoface.ui.jobs`, the same library calls as the CLI, and has a stable ``api_name`` so that
``gradio_client`` can drive it: ``extract``, ``clusters``, ``assign``, ``drop``, ``sort``,
``train``, ``stop``, ``train_status``, ``preview``, ``convert``, ``swap``, ``workspace``.

Problems come back as one line in the page (``gr.Error``); the server keeps running.
Results are handed back as the files written (``type="filepath"``), never re-encoded, so a
download carries the provenance record.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections import OrderedDict
from pathlib import Path

import gradio as gr

from twoface.config import DIRECTIONS
from twoface.convert.blend import AUTO_MASK, LEARNED
from twoface.convert.colour import COLOURS
from twoface.errors import ConfigError, TwofaceError
from twoface.masks import MASKS
from twoface.models.registry import DEFAULT_MODEL, MODELS
from twoface.ui import actions, jobs
from twoface.ui.workspace import Workspace

_log = logging.getLogger("twoface.ui")
PER_PERSON = 4  # faces shown for each person found
PICTURES = ("preview.png", "loss.png")  # what the Train tab shows of the model folder
STATUS_EVERY = 2.0  # seconds between training-status refreshes
RETRY_LIVE = 5.0  # seconds before the Live tab tries a refused photo or model again
TITLE = "twoface: consent-based face swapping (every output is labelled synthetic)"


def page_errors(fn):
    """Turn any failure into a one-line message in the page: TwofaceError and ConfigError as they
    are, an OSError as file and reason, anything else as its type and first line (the traceback
    goes to the server's log). The server keeps running."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # the page shows one line whatever went wrong
            if not isinstance(exc, (TwofaceError, ConfigError, OSError)):
                _log.exception("unexpected failure in the page")
            raise gr.Error(error_line(exc), print_exception=False) from None

    return wrapped


def error_line(exc: BaseException) -> str:
    """One line for the page. Paths are named by file name: cache and workspace folders say
    nothing to the user (and are not theirs to see on a shared server)."""
    if isinstance(exc, TwofaceError):
        return f"{Path(exc.path).name or exc.path}: {exc.problem}"
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, OSError):
        named = isinstance(exc.filename, (str, bytes, os.PathLike))
        name = Path(os.fsdecode(exc.filename)).name if named else "file"
        return f"{name}: {exc.strerror or exc}"
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _path(value) -> str | None:
    """A Gradio file value (path string, or a dict / object with ``path``) as a path string."""
    if value is None or isinstance(value, str):
        return value
    return value.get("path") if isinstance(value, dict) else getattr(value, "path", None)


def _paths(values) -> list[str]:
    return [p for p in (_path(v) for v in values or []) if p]


def build(ws: Workspace) -> gr.Blocks:
    """The page for workspace ``ws``."""
    with gr.Blocks(title="twoface", analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}\nWorkspace: `{ws.root}`. Use only faces of people who agreed.")
        lists = _Lists(ws)
        with gr.Tab("Faces"):
            _faces_tab(ws, lists)
        with gr.Tab("Train"):
            _train_tab(ws, lists)
        with gr.Tab("Convert"):
            _convert_tab(ws, lists)
        with gr.Tab("One-shot"):
            _oneshot_tab(ws)
        with gr.Tab("Live"):
            _live_tab(ws, lists)
        with gr.Tab("Workspace"):
            _workspace_tab(ws, lists, demo)
        demo.load(lists.refresh, None, lists.all(), api_visibility="private")
    return demo


class _Lists:
    """The dropdowns that list the workspace (face sets, models, inputs), refreshed together."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.facesets: list[gr.Dropdown] = []
        self.models: list[gr.Dropdown] = []
        self.inputs: list[gr.Dropdown] = []

    def faceset(self, label: str, **kw) -> gr.Dropdown:
        box = gr.Dropdown(choices=self.ws.facesets(), label=label, allow_custom_value=True, **kw)
        self.facesets.append(box)
        return box

    def model(self, label: str, **kw) -> gr.Dropdown:
        box = gr.Dropdown(choices=self.ws.models(), label=label, allow_custom_value=True, **kw)
        self.models.append(box)
        return box

    def input(self, label: str, multiselect: bool = False) -> gr.Dropdown:
        box = gr.Dropdown(
            choices=self.ws.inputs(), label=label, multiselect=multiselect, allow_custom_value=True
        )
        self.inputs.append(box)
        return box

    def all(self) -> list[gr.Dropdown]:
        return [*self.facesets, *self.models, *self.inputs]

    def refresh(self):
        f, m, i = self.ws.facesets(), self.ws.models(), self.ws.inputs()
        return (
            [gr.update(choices=f)] * len(self.facesets)
            + [gr.update(choices=m)] * len(self.models)
            + [gr.update(choices=i)] * len(self.inputs)
        )


# --- Faces -----------------------------------------------------------------------------------


def _faces_tab(ws: Workspace, lists: _Lists) -> None:
    gr.Markdown("Add photos and videos of a person, extract their faces, then keep the right person.")
    with gr.Row():
        uploads = gr.File(label="photos and videos", file_count="multiple")
        picked = lists.input("or pick from the workspace", multiselect=True)
    with gr.Row():
        target = gr.Textbox(value="A", label="face set to extract into (A, B or any name)")
        extract_btn = gr.Button("Extract faces", variant="primary")
    message = gr.Textbox(label="result", interactive=False)

    @page_errors
    def do_extract(files, names, name, progress=gr.Progress(track_tqdm=True)):
        inputs = actions.gather(ws, _paths(files), names)
        return actions.extract_faces(ws, inputs, name)

    extract_btn.click(do_extract, [uploads, picked, target], message, api_name="extract").then(
        lists.refresh, None, lists.all(), api_visibility="private"
    )
    _clusters_block(ws, lists, message)


def _clusters_block(ws: Workspace, lists: _Lists, message: gr.Textbox) -> None:
    with gr.Row():
        source = lists.faceset("face set to look at", elem_id="faces-source")
        show_btn = gr.Button("Show people", elem_id="faces-show")
    people = gr.Gallery(
        label=f"people found ({PER_PERSON} faces each): click one",
        columns=8,
        height=230,
        elem_id="faces-people",
        allow_preview=False,
        object_fit="contain",
    )
    person = gr.Number(value=1, label="person (1 = most faces)", precision=0, minimum=1)
    with gr.Row():
        as_a, as_b = gr.Button("Make this person A"), gr.Button("Make this person B")
    faces = gr.Gallery(
        label="this person's faces: click bad ones, then drop",
        columns=10,
        height=320,
        allow_preview=False,
        fit_columns=False,
    )
    shown = gr.State([])
    selected = gr.State([])
    with gr.Row():
        drop_btn = gr.Button("Drop selected faces", variant="stop")
        order = gr.Dropdown(choices=["blur", "pose"], value="blur", label="sort by")
        sort_btn = gr.Button("Sort")

    @page_errors
    def show(name, index):
        groups = actions.clusters(ws, name)
        index = min(max(int(index or 1), 1), len(groups))
        cover = [
            (path, f"person {g.label + 1}: {len(g.files)} faces")
            for g in groups
            for path in actions.face_paths(ws, name, _spread(g.files, PER_PERSON))
        ]
        files = list(groups[index - 1].files)
        return cover, index, _face_items(ws, name, files, set()), files, []

    def pick_person(name, evt: gr.SelectData):
        return show(name, evt.index // PER_PERSON + 1)

    def toggle(name, files, chosen, evt: gr.SelectData):
        chosen = set(chosen) ^ {files[evt.index]}
        return _face_items(ws, name, files, chosen), sorted(chosen)

    outs = [people, person, faces, shown, selected]
    show_btn.click(show, [source, person], outs, api_name="clusters")
    people.select(pick_person, [source], outs, api_visibility="private")
    faces.select(toggle, [source, shown, selected], [faces, selected], api_visibility="private")
    for button, side in ((as_a, "A"), (as_b, "B")):
        button.click(
            page_errors(
                lambda name, index, side=side: actions.assign_cluster(ws, name, int(index) - 1, side)
            ),
            [source, person],
            message,
            api_name=f"assign_{side.lower()}",
        ).then(lists.refresh, None, lists.all(), api_visibility="private")
    drop_btn.click(
        page_errors(lambda name, chosen: actions.drop_faces(ws, name, set(chosen))),
        [source, selected],
        message,
        api_name="drop",
    ).then(show, [source, person], outs, api_visibility="private")
    sort_btn.click(
        page_errors(lambda name, by: actions.sort_faces(ws, name, by)),
        [source, order],
        message,
        api_name="sort",
    )


def _spread(files: tuple[str, ...], n: int) -> list[str]:
    """``n`` files spread over ``files`` (repeating the last when there are fewer), so that
    each person takes exactly ``n`` gallery places."""
    picks = [files[round(i * (len(files) - 1) / max(n - 1, 1))] for i in range(min(n, len(files)))]
    return picks + [files[-1]] * (n - len(picks))


def _face_items(ws: Workspace, name: str, files: list[str], chosen: set[str]) -> list[tuple[str, str]]:
    paths = actions.face_paths(ws, name, files)
    return [(str(p), ("DROP " if p.name in chosen else "") + p.name) for p in paths]


# --- Train -----------------------------------------------------------------------------------


def _train_tab(ws: Workspace, lists: _Lists) -> None:
    gr.Markdown(
        "Training runs in the background and outlives this page; one job per workspace. "
        "Start on an existing model resumes it. Stop saves, as Ctrl-C does."
    )
    with gr.Row():
        model = lists.model("model name (new or existing)", value="A_to_B")
        face_a, face_b = lists.faceset("face set A", value="A"), lists.faceset("face set B", value="B")
    with gr.Row():
        arch = gr.Dropdown(choices=sorted(MODELS), value=DEFAULT_MODEL, label="architecture")
        minutes = gr.Number(value=20, label="minutes (0: until stopped)", minimum=0)
        start_btn, stop_btn = (
            gr.Button("Start / resume", variant="primary"),
            gr.Button("Stop", variant="stop"),
        )
    status = gr.Textbox(label="status", interactive=False)
    with gr.Row():
        preview = gr.Image(label="preview (A, A as B, B, B as A)", type="filepath", interactive=False)
        losses = gr.Image(label="loss", type="filepath", interactive=False)
    log = gr.Textbox(label="log", lines=6, interactive=False)

    @page_errors
    def start(name, a, b, arch_name, budget):
        folder = ws.model(name)
        resuming = (folder / "model.json").exists()
        req = jobs.TrainRequest(
            model=name,
            faceset_a=None if resuming else a,
            faceset_b=None if resuming else b,
            arch=None if resuming else (arch_name or None),  # a resume keeps the model's own
            minutes=float(budget) if budget else None,
        )
        line = jobs.start(ws, req).line()
        own = jobs.stored_arch(folder) if resuming else None
        if own and arch_name and arch_name != own:
            line += f" (resumed as {own}, its own architecture; {arch_name} is for new models)"
        return line

    @page_errors
    def stop():
        return jobs.stop(ws).line()

    def poll(name):
        """The status line, preview, loss plot and log tail; a problem is the status line (the
        timer calls this every 2 s, so it never raises)."""
        try:
            state = jobs.status(ws)
            folder = ws.model(state.model or name) if (state.model or name) else None
            shown = [folder / f if folder and (folder / f).exists() else None for f in PICTURES]
            return state.line(), *[str(p) if p else None for p in shown], jobs.log_tail(ws)
        except Exception as exc:
            return error_line(exc), None, None, jobs.log_tail(ws)

    outs = [status, preview, losses, log]
    start_btn.click(start, [model, face_a, face_b, arch, minutes], status, api_name="train")
    stop_btn.click(stop, None, status, api_name="stop")
    gr.Timer(STATUS_EVERY).tick(poll, [model], outs, api_name="train_status")


# --- Convert ---------------------------------------------------------------------------------


def _choice_inputs() -> list[gr.components.Component]:
    masks = [AUTO_MASK, *MASKS, LEARNED]
    with gr.Row():
        colour = gr.Dropdown(choices=list(COLOURS), value="reinhard", label="colour")
        mask = gr.Dropdown(choices=masks, value=AUTO_MASK, label="mask")
        blend = gr.Dropdown(choices=list(actions.BLENDS), value="feather", label="blend")
        direction = gr.Dropdown(choices=list(DIRECTIONS), value="a2b", label="direction")
        only = gr.Image(label="only this person (optional photo)", type="filepath", height=120)
    return [colour, mask, blend, direction, only]


def _choice(colour, mask, blend, direction, only) -> actions.SwapChoice:
    return actions.SwapChoice(colour, mask, blend, direction, _path(only))


def _convert_tab(ws: Workspace, lists: _Lists) -> None:
    with gr.Row():
        model = lists.model("model")
        upload = gr.File(label="photo or video to convert")
        picked = lists.input("or pick from the workspace")
    options = _choice_inputs()
    frame = gr.Slider(0, 1000, value=0, step=1, label="frame to preview")
    with gr.Row():
        preview_btn = gr.Button("Preview this frame")
        convert_btn = gr.Button("Convert all", variant="primary")
    with gr.Row():
        before = gr.Video(label="before", interactive=False)
        after = gr.Video(label="after", interactive=False)
    with gr.Row():
        still = gr.Image(label="preview / result (image)", type="filepath", interactive=False)
        download = gr.File(label="download the result", interactive=False)
    message = gr.Textbox(label="result", interactive=False)

    def source(file, name) -> Path:
        return actions.gather(ws, _paths([file]), [name] if name else [])[0]

    @page_errors
    def frames(file, name):
        return gr.update(maximum=max(actions.frame_count(source(file, name)) - 1, 1), value=0)

    @page_errors
    def preview(name, file, picked_name, index, *opts, progress=gr.Progress(track_tqdm=True)):
        src = source(file, picked_name)
        return str(actions.preview_frame(ws, name, src, int(index or 0), _choice(*opts)))

    @page_errors
    def convert(name, file, picked_name, *opts, progress=gr.Progress(track_tqdm=True)):
        src = source(file, picked_name)
        out = actions.convert_file(ws, name, src, _choice(*opts))
        video = actions.media_kind(out) == "video"
        return (
            str(src) if video else None,
            str(out) if video else None,
            None if video else str(out),
            str(out),
            f"written {out.name} (labelled synthetic)",
        )

    upload.change(frames, [upload, picked], frame, api_visibility="private")
    picked.change(frames, [upload, picked], frame, api_visibility="private")
    preview_btn.click(preview, [model, upload, picked, frame, *options], still, api_name="preview")
    convert_btn.click(
        convert,
        [model, upload, picked, *options],
        [before, after, still, download, message],
        api_name="convert",
    )


# --- One-shot and live -----------------------------------------------------------------------


def _oneshot_tab(ws: Workspace) -> None:
    gr.Markdown("No training: the face of one photo on every face of a target photo or video.")
    with gr.Row():
        face = gr.Image(label="face photo (the person to show)", type="filepath", elem_id="oneshot-face")
        target = gr.File(label="target photo or video", elem_id="oneshot-target")
        colour = gr.Dropdown(choices=list(COLOURS), value="reinhard", label="colour")
    swap_btn = gr.Button("Swap", variant="primary", elem_id="oneshot-swap")
    with gr.Row():
        result = gr.Image(label="result", type="filepath", interactive=False, elem_id="oneshot-result")
        video = gr.Video(label="result (video)", interactive=False)
        download = gr.File(label="download", interactive=False, elem_id="oneshot-download")

    @page_errors
    def swap(face_path, target_file, method, progress=gr.Progress(track_tqdm=True)):
        if not face_path:
            raise TwofaceError("face", "give a face photo")
        face_file = actions.keep_media(ws, _path(face_path))
        target_path = actions.gather(ws, _paths([target_file]), [])[0]
        out = actions.one_shot(ws, face_file, target_path, method)
        is_video = actions.media_kind(out) == "video"
        return (None if is_video else str(out)), (str(out) if is_video else None), str(out)

    swap_btn.click(swap, [face, target, colour], [result, video, download], api_name="swap")


def _live_tab(ws: Workspace, lists: _Lists) -> None:
    gr.Markdown("The browser's webcam through the one-shot swap (a face photo) or a trained model.")
    with gr.Row():
        face = gr.Image(label="face photo (one-shot)", type="filepath", height=160)
        model = lists.model("or a trained model (A's side is your webcam)")
    with gr.Row():
        camera = gr.Image(label="webcam", sources=["webcam"], streaming=True, type="numpy")
        shown = gr.Image(label="swapped (labelled SYNTHETIC)", interactive=False)
    fps = gr.Textbox(label="frames per second", interactive=False)
    sessions: OrderedDict[str, actions.LiveSession] = OrderedDict()
    refused: dict[tuple, tuple[str, float]] = {}  # (photo, model) -> why it cannot run, when

    @page_errors
    def frame(image, face_path, name, request: gr.Request):
        if image is None:
            return None, ""
        key = (str(ws.confine(_path(face_path))) if face_path else None, name or None)  # no copy per frame
        if not any(key):  # said in the fps box: raising would fail every frame of the stream
            return None, "give a face photo or pick a model"
        why, when = refused.get(key, ("", -RETRY_LIVE))
        if time.monotonic() - when < RETRY_LIVE:  # not retried (and rebuilt) on every frame
            return None, why
        session = sessions.get(request.session_hash)
        if session is None or session.key != (str(key[0]), key[1]):
            try:
                session = actions.LiveSession(ws, Path(key[0]) if key[0] else None, key[1])
            except TwofaceError as exc:  # a missing or damaged model, a photo with no face
                refused[key] = (error_line(exc), time.monotonic())
                return None, refused[key][0]
            sessions[request.session_hash] = session
            while len(sessions) > 4:
                sessions.popitem(last=False)
        out, rate = session(image, time.monotonic())
        return out, f"{rate:.1f}"

    camera.stream(
        frame, [camera, face, model], [shown, fps], stream_every=0.05, api_name="live", concurrency_limit=1
    )


def _workspace_tab(ws: Workspace, lists: _Lists, demo: gr.Blocks) -> None:
    listing = gr.Markdown()
    files = gr.File(label="results (newest first)", file_count="multiple", interactive=False)
    refresh = gr.Button("Refresh")

    def contents():
        return _listing(ws), [str(p) for p in ws.outputs()[:50]] or None

    refresh.click(contents, None, [listing, files], api_name="workspace").then(
        lists.refresh, None, lists.all(), api_visibility="private"
    )
    demo.load(contents, None, [listing, files], api_visibility="private")


def _listing(ws: Workspace) -> str:
    """The workspace's face sets (faces), models (architecture, step) and files, as Markdown."""
    import json

    def count(name: str) -> str:
        try:
            with open(ws.faceset(name) / "faces.jsonl") as fh:
                return f"{sum(1 for line in fh if line.strip())} faces"
        except OSError as exc:
            return f"unreadable: {exc.strerror}"

    def model(name: str) -> str:
        try:
            meta = json.loads((ws.model(name) / "model.json").read_text())
            return f"{meta.get('model', '?')}, step {meta.get('step', 0)}"
        except (OSError, ValueError):
            return "damaged model.json"

    rows = ["**Face sets:** " + (", ".join(f"{n} ({count(n)})" for n in ws.facesets()) or "none")]
    rows.append("**Models:** " + (", ".join(f"{n} ({model(n)})" for n in ws.models()) or "none"))
    rows.append("**Inputs:** " + (", ".join(ws.inputs()) or "none"))
    rows.append(f"**Results:** {len(ws.outputs())} files in `outputs/`")
    return "\n\n".join(rows)
