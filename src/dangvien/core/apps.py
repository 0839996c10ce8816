from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangvien.core"
    label = "core"

    def ready(self) -> None:
        # Before any URLconf is read: the routes name records with <id:pk>.
        from dangvien.core.urls import register

        register()
