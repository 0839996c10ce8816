"""The member's own card with its phone QR (/cards/mine/) and the public verifier page (/cards/verify/).

/cards/mine/: the actor's own member record only (a login without one: 404); the member ticks the
fields the QR shows (a GET form: no script, nothing written). /cards/verify/: anyone, no login; the
pasted text is checked by the Python verifier (credentials.phone_cards.verify_text), or, with scripts,
in the browser (static/credentials/verifier.js), which keeps the page, the trust list
(/cards/verify/trust.json) and the status lists on the device and so answers offline; its service
worker (/cards/verify/sw.js) keeps the page and its scripts (docs/credentials.md)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from dangvien.core.offline import allow_offline_copy
from dangvien.credentials.phone import FIELDS
from dangvien.credentials.phone_cards import DEFAULT_DISCLOSURE, card_phone_qr, verify_text
from dangvien.credentials.selectors import card_for_member, status_lists
from dangvien.credentials.verify import REASONS
from dangvien.members.selectors import member_get_for

FIELD_LABELS = {
    "name": _("Full name"),
    "card_number": _("Card number"),
    "birth_date": _("Date of birth"),
    "committee": _("Issuing committee"),
    "admission_date": _("Admission decision date"),
    "official_date": _("Official date"),
}


class DisclosureForm(forms.Form):
    show = forms.MultipleChoiceField(label=_("The QR code shows"), required=False,
                                     choices=[(name, FIELD_LABELS[name]) for name in FIELDS],
                                     widget=forms.CheckboxSelectMultiple)


class VerifyForm(forms.Form):
    text = forms.CharField(label=_("The QR code's text"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}))


@login_required
@require_safe
def my_card(request: HttpRequest) -> HttpResponse:
    member_id = getattr(request.user, "member_id", None)
    if not member_id:
        raise Http404(_("This login is not linked to a party member."))
    member = member_get_for(request.user, member_id)
    card = card_for_member(request.user, member)
    form = DisclosureForm(request.GET if "show" in request.GET or "chosen" in request.GET else None,
                          initial={"show": list(DEFAULT_DISCLOSURE)})
    disclose = form.cleaned_data["show"] if form.is_bound and form.is_valid() else list(DEFAULT_DISCLOSURE)
    code = None
    if card is not None and card.live:
        from dangvien.credentials.keys import KeysError

        try:
            code = card_phone_qr(card, disclose, now=timezone.now())
        except KeysError:
            code = None
    response = render(request, "credentials/my_card.html", {
        "member": member, "card": card, "form": form, "code": code,
        "shown": [FIELD_LABELS[name] for name in FIELDS if name in disclose],
    })
    # The handbook's service worker keeps the page (the member's own card): a member offline at a check
    # still shows the last code fetched, valid for 24 hours (docs/handbook-offline.md).
    return allow_offline_copy(response, request.user.pk)


@require_http_methods(["GET", "HEAD", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST if request.method == "POST" else None)
    verdict = None
    if form.is_bound and form.is_valid():
        verdict = verify_text(form.cleaned_data["text"], now=timezone.now())
    fields = []
    if verdict is not None:
        fields = [(FIELD_LABELS[name], verdict.fields[name]) for name in FIELDS if name in verdict.fields]
    return render(request, "credentials/verify.html", {
        "form": form, "verdict": verdict, "fields": fields, "browser": _browser_verifier()})


# The scripts of the in-browser verifier, in load order: the page keeps them for offline use.
VERIFIER_SCRIPTS = ("credentials/vendor/reflect-metadata.js", "credentials/vendor/cbor-x.js",
                    "credentials/vendor/x509.js", "credentials/verifier.js", "dangvien/qrscan.js",
                    "credentials/verifier-page.js")
# What else the page needs offline (base.html's offline script: its style sheet and site script are
# inside the page; jsQR for the camera).
VERIFIER_PAGE_FILES = ("handbook/offline.js", "meetings/vendor/jsQR.js")


def _browser_verifier() -> dict[str, object]:
    """What the page's script needs: the messages (verify.REASONS, in the page's language), the roles'
    OIDs (keys.ROLE_OIDS), the trust list's address, and each status list's URI (what credentials name)
    with the address this server publishes it at."""
    from dangvien.credentials.keys import ROLE_OIDS, KeyRole

    return {
        "scripts": [static(name) for name in VERIFIER_SCRIPTS],
        "decoder": static("meetings/vendor/jsQR.js"),
        "config": {
            "reasons": {code: str(text) for code, text in REASONS.items()},
            "fields": {name: str(label) for name, label in FIELD_LABELS.items()},
            "roles": {role: ROLE_OIDS[KeyRole(role)].dotted_string for role in ("phone", "printed", "status")},
            "trust": reverse("credentials:verify_trust"),
            "worker": reverse("credentials:verify_worker"),
            "lists": [{"uri": status_list.uri, "url": reverse("credentials:status_list", args=[status_list.pk])}
                      for status_list in status_lists()],
        },
    }


@require_safe
def verify_trust(request: HttpRequest) -> HttpResponse:
    """The trust list the browser verifier checks against: the file `dangvien keys export-trust`
    writes (the roots' and the valid signers' certificates; the browser checks the chain itself).
    Public, like the status lists."""
    from dangvien.credentials.keys import KeysError, trust_list

    try:
        body = trust_list(timezone.now()).to_json()
    except KeysError:
        raise Http404(_("This installation has no card keys.")) from None
    response = HttpResponse(body, content_type="application/json")
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_safe
def verify_worker(request: HttpRequest) -> HttpResponse:
    """The verifier page's service worker (scope /cards/verify/): keeps the page, read without the
    visitor's cookies (nothing personal: the same page for everyone), and its scripts; never cached by
    the HTTP cache, so that a new version reaches the phones at their next visit."""
    response = render(request, "credentials/verify_sw.js", {
        "page": reverse("credentials:verify"),
        "files": [static(name) for name in (*VERIFIER_SCRIPTS, *VERIFIER_PAGE_FILES)],
    }, content_type="text/javascript; charset=utf-8")
    add_never_cache_headers(response)
    return response
