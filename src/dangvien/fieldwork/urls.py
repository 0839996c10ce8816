from django.urls import path

from dangvien.fieldwork import views

app_name = "fieldwork"
urlpatterns = [
    path("<id:campaign_id>/groups/", views.groups, name="groups"),
    path("<id:campaign_id>/groups/<id:group_id>/", views.group_detail, name="group"),
    path("<id:campaign_id>/groups/<id:group_id>/people/", views.group_person_add, name="group_person_add"),
    path("<id:campaign_id>/groups/<id:group_id>/units/", views.group_unit_assign, name="group_unit_assign"),
    path("<id:campaign_id>/groups/<id:group_id>/tasks/", views.task_create, name="task_create"),
    path("<id:campaign_id>/tasks/", views.tasks, name="tasks"),
    path("<id:campaign_id>/tasks/<id:task_id>/status/", views.task_status, name="task_status"),
    path("<id:campaign_id>/visits/", views.visits, name="visits"),
    path("<id:campaign_id>/visits/settings/", views.visit_policy, name="visit_policy"),
    path("<id:campaign_id>/visits/<id:participant_id>/", views.visit_form, name="visit"),
    path("<id:campaign_id>/difficulties/", views.difficulties, name="difficulties"),
    path("<id:campaign_id>/difficulties/<id:difficulty_id>/answer/", views.difficulty_answer,
         name="difficulty_answer"),
    path("<id:campaign_id>/difficulties/<id:difficulty_id>/close/", views.difficulty_close, name="difficulty_close"),
]
