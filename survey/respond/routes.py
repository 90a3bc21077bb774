"""Views of the respondent flow: thin; all writes happen in operations.submit.

Nothing here logs, not even a failure, and the session holds only the token's HMAC, the chosen
language and the answers in progress (DESIGN.md section 6). No view knows whether a code was used
(see operations): every code of an open wave gets the same pages.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from questionnaires import Question, Questionnaire, Section

from ..auth.errors import is_staff_path, staff_error
from ..database import rollback_quietly
from ..extensions import db
from ..models import Wave
from . import bp
from .forms import CodeForm, SubmitAnswersForm, answers_from, page_form
from ..i18n import choose_language, current_language
from ..waves import WaveError
from .pages import Page, pages_of
from .operations import CodeProblem, InvalidAnswers, open_questionnaire, redeem, submit

PROBLEM_STATUS = {
    "unknown": 404, "throttled": 429, "not_open": 403, "closed": 410, "expired": 400, "csrf": 400,
    "too_large": 413, "invalid": 400, "failed": 503, "received": 200, "not_found": 404, "method": 405,
}


def problem(kind: str, form: CodeForm | None = None, headers: dict[str, str] | None = None):
    return render_template("respond/problem.html", kind=kind, form=form), PROBLEM_STATUS[kind], headers or {}


#: Session keys the respondent flow leaves alone: the chosen language, and a staff login on the same
#: browser (survey.auth), which is not the respondent flow's to end. After a submit the session
#: holds "sent", the wave whose answers this device has just sent (never a code): going back then
#: says "received" instead of "expired", and the thank-you page tells the wave's results notice.
KEPT_KEYS = ("lang", "staff")


def _start_afresh() -> None:
    """Forget the code, the answers in progress and the CSRF token; keep only `KEPT_KEYS`."""
    kept = {key: session[key] for key in KEPT_KEYS if key in session}
    session.clear()
    session.update(kept)


@bp.app_errorhandler(CSRFError)
def _csrf_error(error):
    if is_staff_path():
        return staff_error(error)
    return problem("csrf")


@bp.app_errorhandler(RequestEntityTooLarge)
def _too_large(error):
    if is_staff_path():
        return staff_error(error)
    return problem("too_large")


@bp.app_errorhandler(Exception)
def _failed(error: Exception):
    """Any failure (a locked database, a bug) gets a "please try again" page and leaves no trace.

    Flask would log it with the route and a traceback holding the SQL and the code's HMAC; here it
    is dropped. The transaction is rolled back, and the session is left as it was, so the answers
    in progress are still on the device for the next try. Only a developer's debug mode sees it.
    Paths under /staff get the staff's own error page (survey.auth.errors), also for 404 and 405."""
    if is_staff_path():
        return staff_error(error)
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        kind = {404: "not_found", 405: "method"}.get(error.code or 0)
        if kind is None:
            return error
        headers = {name: value for name, value in error.get_headers() if name == "Allow"}
        return problem(kind, headers=headers)
    if current_app.debug:
        raise error
    rollback_quietly()
    retry = url_for(".review") if request.endpoint == "respond.submit_answers" else request.path
    return render_template("respond/problem.html", kind="failed", form=None, retry=retry), PROBLEM_STATUS["failed"]


@bp.route("/", methods=["GET", "POST"])
def start():
    form = CodeForm()
    if form.validate_on_submit():
        try:
            redeemed = redeem(form.code.data)
        except CodeProblem as exc:
            if exc.kind == "throttled":
                return problem(exc.kind, form, {"Retry-After": str(exc.retry_after)})
            return problem(exc.kind, form if exc.kind == "unknown" else None)  # keeps what was typed
        _start_afresh()
        session["d"] = redeemed.digest.hex()
        session["w"] = [redeemed.wave_id, redeemed.questionnaire.hash]
        session["a"] = {}
        return redirect(url_for(".welcome"))
    status = 400 if form.errors else 200
    return render_template("respond/start.html", form=form, in_progress="d" in session), status


@bp.route("/s")
def landing():
    """QR landing: the code sits after `#`, which never reaches the server; a script posts it."""
    return render_template("respond/start.html", form=CodeForm(), in_progress="d" in session, landing=True)


@dataclass(frozen=True)
class InProgress:
    digest: bytes
    wave_id: int
    questionnaire: Questionnaire


def _current() -> InProgress | tuple:
    """The respondent's redeemed code, or the page that explains why there is none.

    Every page reads the wave's state (one small query), so that once a wave ends all of its codes
    get the same "ended" page; the submit checks the code itself again."""
    if "d" not in session or "w" not in session:
        return problem("received" if "sent" in session else "expired")
    try:
        wave_id, questionnaire_hash = session["w"]
        return InProgress(bytes.fromhex(session["d"]), wave_id, open_questionnaire(wave_id, questionnaire_hash))
    except (CodeProblem, WaveError, ValueError) as exc:
        _start_afresh()
        return problem(getattr(exc, "kind", "unknown"))


def _text(questionnaire: Questionnaire):
    lang = current_language()
    return lambda mapping: questionnaire.text(mapping, lang)


def _visible(questionnaire: Questionnaire, page: Page, answers: dict) -> list[tuple[Section, list[Question]]]:
    """The page's sections with their questions that are shown, given the answers so far."""
    shown = [(s, [q for q in s.questions if questionnaire.is_visible(q, answers)]) for s in page]
    return [(s, questions) for s, questions in shown if questions]


def _step(questionnaire: Questionnaire, answers: dict, number: int, direction: int) -> str:
    """The next page in `direction` that has a visible question; the review past the end."""
    pages = pages_of(questionnaire)
    number += direction
    while 1 <= number <= len(pages):
        if _visible(questionnaire, pages[number - 1], answers):
            return url_for(".page", number=number)
        number += direction
    return url_for(".review") if direction > 0 else url_for(".welcome")


@bp.route("/welcome")
def welcome():
    current = _current()
    if not isinstance(current, InProgress):
        return current
    questionnaire = current.questionnaire
    lang = current_language()
    messages = db.session.get(Wave, current.wave_id).messages
    message_lang = lang if messages.get(lang) else "de"  # the German message where none is in this language
    return render_template(
        "respond/welcome.html",
        questionnaire=questionnaire,
        text=_text(questionnaire),
        message=messages.get(message_lang),
        message_lang=message_lang,
        first=_step(questionnaire, session.get("a", {}), 0, +1),
    )


@bp.route("/q/<int:number>", methods=["GET", "POST"])
def page(number: int):
    current = _current()
    if not isinstance(current, InProgress):
        return current
    questionnaire = current.questionnaire
    pages = pages_of(questionnaire)
    if not 1 <= number <= len(pages):
        abort(404)
    answers = dict(session.get("a", {}))
    shown = _visible(questionnaire, pages[number - 1], answers)
    if not shown:
        return redirect(_step(questionnaire, answers, number, +1))
    questions = [q for _, section_questions in shown for q in section_questions]
    if request.method == "POST":
        form = page_form(questionnaire, questions, current_language(), answers, formdata=request.form)
        if not form.validate():
            return _render_page(form, questionnaire, shown, number), 400
        for question in questions:
            answers.pop(question.id, None)
        answers.update(answers_from(form, questions))
        session["a"] = questionnaire.visible_answers(answers)
        if choose_language(request.form.get("switch_lang", "")):
            # A language button in the header: the page's ticks are kept, the same page comes back.
            return redirect(url_for(".page", number=number))
        direction = -1 if form.back.data else +1
        return redirect(_step(questionnaire, session["a"], number, direction))
    form = page_form(questionnaire, questions, current_language(), answers)
    return _render_page(form, questionnaire, shown, number)


def _render_page(form, questionnaire: Questionnaire, shown, number: int):
    """The page with "page N of M", where M counts every page: pages skipped by an earlier answer
    move N forward, but M never changes mid-survey."""
    return render_template(
        "respond/page.html",
        form=form,
        shown=shown,
        text=_text(questionnaire),
        number=number,
        total=len(pages_of(questionnaire)),
        questionnaire=questionnaire,
        language_buttons=True,
    )


@bp.route("/review", methods=["GET"])
def review():
    current = _current()
    if not isinstance(current, InProgress):
        return current
    questionnaire = current.questionnaire
    answers = questionnaire.visible_answers(session.get("a", {}))
    text = _text(questionnaire)
    rows = []
    for number, page_sections in enumerate(pages_of(questionnaire), start=1):
        for question in (q for _, questions in _visible(questionnaire, page_sections, answers) for q in questions):
            chosen = answers.get(question.id)
            codes = chosen if isinstance(chosen, list) else [chosen] if chosen else []
            labels = [text(o.text) for o in question.options if o.code in codes]
            rows.append({"question": text(question.text), "answers": labels, "page": number})
    return render_template(
        "respond/review.html",
        rows=rows,
        form=SubmitAnswersForm(),
        questionnaire=questionnaire,
        text=text,
        back=_step(questionnaire, answers, len(pages_of(questionnaire)) + 1, -1),
    )


@bp.route("/submit", methods=["POST"])
def submit_answers():
    current = _current()
    if not isinstance(current, InProgress):
        return current
    form = SubmitAnswersForm()
    if not form.validate_on_submit():
        return problem("csrf")
    try:
        submit(current.digest, session.get("a", {}))
    except CodeProblem as exc:
        _start_afresh()
        return problem(exc.kind)
    except InvalidAnswers:
        return problem("invalid")
    _start_afresh()
    session["sent"] = current.wave_id
    return redirect(url_for(".thanks"))


@bp.route("/thanks")
def thanks():
    wave = db.session.get(Wave, session["sent"]) if isinstance(session.get("sent"), int) else None
    results = wave.results if wave is not None else {}
    published = date.fromisoformat(results["date"]) if "date" in results else None
    return render_template("respond/thanks.html", published=published, where=results.get("where"))
