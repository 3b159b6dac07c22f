from django.urls import path

from zhifa.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password"),
    path("tokens/", views.tokens, name="tokens"),
    path("tasks/", views.background_tasks, name="background_tasks"),
    path("ping/", views.ping, name="ping"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
