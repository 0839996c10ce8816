from django.urls import path

from dangvien.credentials import phone_views, status_urls, views

app_name = "credentials"
urlpatterns = [
    path("", views.card_list_page, name="list"),
    path("mine/", phone_views.my_card, name="mine"),
    path("verify/", phone_views.verify_page, name="verify"),
    path("verify/trust.json", phone_views.verify_trust, name="verify_trust"),
    path("verify/sw.js", phone_views.verify_worker, name="verify_worker"),
    path("pending/", views.pending_page, name="pending"),
    path("<id:pk>/", views.card_page, name="card"),
    path("<id:pk>/portrait.jpg", views.card_portrait, name="portrait"),
    path("<id:pk>/face.pdf", views.card_face, name="face"),
    path("<id:pk>/<slug:slug>/", views.card_action, name="action"),
    path("members/<id:member_id>/issue/", views.member_issue, name="issue"),
    path("members/<id:member_id>/photo/", views.member_photo, name="photo"),
]
# The published status lists: /cards/status/<id>, credentials:status_list (status_urls.py).
urlpatterns += status_urls.urlpatterns
