from django.urls import path

from dangvien.library import views

app_name = "library"
urlpatterns = [
    path("", views.document_list, name="documents"),
    path("bookmarks/", views.bookmark_list, name="bookmarks"),
    path("documents/new/", views.document_new, name="document_new"),
    path("documents/<id:pk>/", views.document_detail, name="document"),
    path("documents/<id:pk>/download/", views.document_download, name="download"),
    path("documents/<id:pk>/bookmark/", views.bookmark_add, name="bookmark_add"),
    path("documents/<id:pk>/bookmark/remove/", views.bookmark_remove, name="bookmark_remove"),
    path("documents/<id:pk>/opinions/", views.opinion_send, name="opinion_send"),
    path("documents/<id:pk>/reads/", views.document_reads, name="reads"),
    path("documents/<id:pk>/withdraw/", views.document_withdraw, name="withdraw"),
    path("opinions/<id:pk>/answer/", views.opinion_answer, name="opinion_answer"),
    path("study/", views.topic_list, name="topics"),
    path("study/new/", views.topic_new, name="topic_new"),
    path("study/<id:pk>/", views.topic_detail, name="topic"),
    path("study/<id:pk>/quiz/", views.quiz_submit, name="quiz_submit"),
    path("study/<id:pk>/results/", views.topic_results, name="results"),
    path("feedback/", views.feedback_page, name="feedback"),
    path("feedback/<id:pk>/answer/", views.feedback_answer, name="feedback_answer"),
]
