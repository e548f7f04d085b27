from django.urls import path

from .views import disputes, people, pool, registration, shares

app_name = "claims"

urlpatterns = [
    path("register/", registration.register, name="register"),
    path("duplicates/", registration.duplicate_check, name="duplicate_check"),
    path("pool/", pool.pool, name="pool"),
    path("pool/<int:pk>/claim/", pool.claim, name="claim"),
    path("customers/<int:pk>/release/", pool.release, name="release"),
    path("customers/<int:pk>/transfer/", pool.transfer, name="transfer"),
    path("customers/<int:pk>/dispute/", disputes.dispute_open, name="dispute_open"),
    path("disputes/", disputes.dispute_list, name="dispute_list"),
    path("disputes/<int:pk>/", disputes.dispute_detail, name="dispute_detail"),
    path("people/<int:pk>/depart/", people.depart, name="depart"),
    path("credit-shares/", shares.credit_shares, name="credit_shares"),
    path("credit-shares/<int:pk>/", shares.credit_share_card, name="credit_share_card"),
]
