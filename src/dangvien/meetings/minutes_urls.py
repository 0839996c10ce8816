"""The minutes', opinions' and votes' pages, under /meetings/ in the "meetings" namespace
(meetings/urls.py includes them)."""

from django.urls import path

from dangvien.meetings import minutes_views as views

urlpatterns = [
    path("<id:pk>/minutes/", views.minutes_detail, name="minutes"),
    path("<id:pk>/minutes/edit/", views.minutes_edit, name="minutes_edit"),
    path("<id:pk>/minutes/approve/", views.minutes_approve, name="minutes_approve"),
    path("<id:pk>/minutes.pdf", views.minutes_pdf_view, name="minutes_pdf"),
    path("<id:pk>/comments/", views.comments_page, name="comments"),
    path("<id:pk>/votes/", views.votes_page, name="votes"),
    path("votes/<id:pk>/remove/", views.vote_remove, name="vote_remove"),
]
