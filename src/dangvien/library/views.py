"""Library pages: documents, one document (its opinions and read count), bookmarks, political study
(topics, a quiz, the results), feedback. Views parse input, call a selector or a service, and turn a
service's refusal into a message; every rule lives in services.py. Every form works without
JavaScript; the opinion, feedback and quiz forms carry an idempotency key, so a resend records once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangvien.accounts.permissions import can
from dangvien.core.errors import NotFound
from dangvien.core.forms import put_errors
from dangvien.core.forms import refusal as _refusal
from dangvien.core.offline import allow_offline_copy
from dangvien.library import selectors, services
from dangvien.library.forms import PublishForm, TopicForm, new_key
from dangvien.library.models import DocumentKind
from dangvien.library.permissions import LIBRARY_PUBLISH

DOCUMENTS_PER_PAGE = 20
RESULTS_PER_PAGE = 50


def _put_errors(form: Any, error: ValidationError) -> None:
    put_errors(form, error)


# --- documents -----------------------------------------------------------------------------------


@login_required
@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    flt = selectors.DocumentFilter(query=request.GET.get("q", "").strip()[:200],
                                   kind=kind if kind in DocumentKind.values else "")
    page = Paginator(selectors.document_list(request.user, flt), DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "library/documents.html", {
        "filter": flt, "page_obj": page, "kind_choices": DocumentKind.choices,
        "can_publish": selectors.may_publish_somewhere(request.user),
    })


@login_required
@require_GET
def bookmark_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.document_list(request.user, selectors.DocumentFilter(bookmarked=True))
    # The member's own list: kept on the phone for offline reading, like the documents it names.
    return allow_offline_copy(render(request, "library/bookmarks.html", {"documents": rows}), request.user.pk)


@login_required
def document_new(request: HttpRequest) -> HttpResponse:
    if not selectors.may_publish_somewhere(request.user):
        raise PermissionDenied(_("You do not have permission to publish documents."))
    form = PublishForm(request.POST or None, request.FILES or None, units=selectors.publishing_units(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.document_publish(
                actor=request.user, unit=data["unit"], kind=data["kind"], title=data["title"], number=data["number"],
                summary=data["summary"], body=data["body"], published_on=data["published_on"], upload=data["file"])
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("The document was published."))
            return redirect("library:document", pk=document.pk)
    return render(request, "library/document_form.html", {
        "form": form, "max_mb": settings.DANGVIEN["LIBRARY_MAX_PDF_BYTES"] // (1024 * 1024)})


@login_required
@require_GET
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One document; a member opening it is counted as having read it."""
    actor = request.user
    document = selectors.document_get_for(actor, pk)
    services.document_read(actor=actor, document=document)
    opinions = list(selectors.document_opinions(actor, document))
    may_answer = can(actor, LIBRARY_PUBLISH, document.unit)
    counts = selectors.document_read_counts(actor, document) if selectors.may_see_stats(actor, document.unit) else []
    bookmarked = selectors.document_is_bookmarked(actor, document)
    response = render(request, "library/document.html", {
        "document": document, "opinions": opinions, "may_answer": may_answer, "bookmarked": bookmarked,
        "read_count": counts[0] if counts else None, "key": new_key(),
    })
    # A bookmarked document is one the member wants to keep: readable offline (core/offline.py).
    return allow_offline_copy(response, actor.pk) if bookmarked else response


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The document's PDF, to a reader who sees the document (files are never served directly)."""
    document = selectors.document_get_for(request.user, pk)
    if not document.file.name or not document.file.storage.exists(document.file.name):
        raise NotFound(_("This document has no file."))
    services.document_download(actor=request.user, document=document)
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.file_name,
                            content_type="application/pdf")
    if selectors.document_is_bookmarked(request.user, document):
        allow_offline_copy(response, request.user.pk)
    return response


@login_required
@require_POST
def bookmark_add(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get_for(request.user, pk)
    services.bookmark_add(actor=request.user, document=document)
    messages.success(request, _("Bookmarked: it is in your bookmarks."))
    return redirect("library:document", pk=pk)


@login_required
@require_POST
def bookmark_remove(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get_for(request.user, pk)
    services.bookmark_remove(actor=request.user, document=document)
    messages.success(request, _("Removed from your bookmarks."))
    if request.POST.get("next") == "bookmarks":
        return redirect("library:bookmarks")
    return redirect("library:document", pk=pk)


@login_required
@require_POST
def opinion_send(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get_for(request.user, pk)
    try:
        _opinion, created = services.opinion_send(actor=request.user, document=document,
                                                  text=request.POST.get("text", ""),
                                                  key=request.POST.get("idempotency_key", ""))
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("Your opinion was sent to the committee.") if created
                         else _("Your opinion had already been sent; it was not sent twice."))
    return redirect(reverse("library:document", args=[pk]) + "#opinions")


@login_required
@require_GET
def document_reads(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get_for(request.user, pk)
    return render(request, "library/reads.html", {
        "document": document, "rows": selectors.document_read_counts(request.user, document)})


@login_required
@require_POST
def document_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get_for(request.user, pk)
    try:
        services.document_withdraw(actor=request.user, document=document)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The document was withdrawn from the library."))
    return redirect("library:document", pk=pk)


@login_required
@require_POST
def opinion_answer(request: HttpRequest, pk: int) -> HttpResponse:
    opinion = selectors.opinion_get_for(request.user, pk)
    try:
        services.opinion_answer(actor=request.user, opinion=opinion, answer=request.POST.get("answer", ""))
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The answer was saved; the member sees it with the opinion."))
    return redirect(reverse("library:document", args=[opinion.document_id]) + f"#opinion-{opinion.pk}")


# --- political study -----------------------------------------------------------------------------


@login_required
@require_GET
def topic_list(request: HttpRequest) -> HttpResponse:
    topics = selectors.topics_visible_to(request.user).select_related("unit")
    return render(request, "library/topics.html", {
        "topics": topics, "can_publish": selectors.may_publish_somewhere(request.user)})


@login_required
def topic_new(request: HttpRequest) -> HttpResponse:
    if not selectors.may_publish_somewhere(request.user):
        raise PermissionDenied(_("You do not have permission to publish study topics."))
    form = TopicForm(request.POST or None, units=selectors.publishing_units(request.user),
                     documents=selectors.documents_visible_to(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topic = services.topic_create(actor=request.user, unit=data["unit"], title=data["title"],
                                          description=data["description"], quiz=data["quiz"],
                                          documents=list(data["documents"]))
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("The study topic was published."))
            return redirect("library:topic", pk=topic.pk)
    return render(request, "library/topic_form.html", {"form": form})


@login_required
@require_GET
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    topic = selectors.topic_get_for(actor, pk)
    return render(request, "library/topic.html", {
        "topic": topic, "materials": selectors.topic_materials(actor, topic), "questions": selectors.topic_quiz(topic),
        "attempts": list(selectors.member_attempts(actor, topic)[:5]),
        "may_take": selectors.reader_member(actor) is not None,
        "may_see_results": selectors.may_see_stats(actor, topic.unit), "key": new_key(),
    })


def _answers(request: HttpRequest) -> dict[int, int]:
    """The posted answers: q<question id> = <choice id>; anything unreadable is left out (and the
    service reports the question as unanswered)."""
    answers = {}
    for name in request.POST:
        value = request.POST.get(name, "")
        if name.startswith("q") and name[1:].isdigit() and value.isdigit() and len(value) < 19 and len(name) < 20:
            answers[int(name[1:])] = int(value)
    return answers


@login_required
@require_POST
def quiz_submit(request: HttpRequest, pk: int) -> HttpResponse:
    topic = selectors.topic_get_for(request.user, pk)
    try:
        attempt, _created = services.quiz_submit(actor=request.user, topic=topic, answers=_answers(request),
                                                 key=request.POST.get("idempotency_key", ""))
    except ValidationError as error:
        messages.error(request, _("Answer every question, then send again.") if hasattr(error, "error_dict")
                       and any(k.startswith("q") for k in error.message_dict) else _refusal(error))
    else:
        messages.success(request, _("Recorded: %(score)s of %(total)s answers right.")
                         % {"score": attempt.score, "total": attempt.total})
    return redirect("library:topic", pk=pk)


@login_required
@require_GET
def topic_results(request: HttpRequest, pk: int) -> HttpResponse:
    """The training results: every member the actor counts, with their attempts at the topic."""
    topic = selectors.topic_get_for(request.user, pk)
    members, done = selectors.study_results(request.user, topic)
    page = Paginator(members, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "library/results.html", {
        "topic": topic, "page_obj": page, "rows": selectors.results_of(topic, list(page.object_list)),
        "done": done, "members": page.paginator.count,
    })


# --- feedback ------------------------------------------------------------------------------------


@login_required
def feedback_page(request: HttpRequest) -> HttpResponse:
    """Send feedback about the app; see one's own with the answers (and, for a committee, the
    feedback of its subtree to answer)."""
    if request.method == "POST":
        try:
            _feedback, created = services.feedback_send(actor=request.user, text=request.POST.get("text", ""),
                                                        key=request.POST.get("idempotency_key", ""))
        except ValidationError as error:
            messages.error(request, _refusal(error))
        else:
            messages.success(request, _("Thank you: your feedback was sent.") if created
                             else _("Your feedback had already been sent; it was not sent twice."))
        return redirect("library:feedback")
    page = Paginator(selectors.feedback_list(request.user), DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    # Which rows the actor may answer: the template cannot ask with an argument.
    rows = [(row, selectors.may_answer_feedback(request.user, row)) for row in page.object_list]
    return render(request, "library/feedback.html", {"page_obj": page, "rows": rows, "key": new_key()})


@login_required
@require_POST
def feedback_answer(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.feedback_get_for(request.user, pk)
    try:
        services.feedback_answer(actor=request.user, feedback=found, answer=request.POST.get("answer", ""))
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("The answer was saved; the sender sees it."))
    return redirect(reverse("library:feedback") + f"#feedback-{pk}")
