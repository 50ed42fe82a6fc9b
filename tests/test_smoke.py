from factories import PatientFactory, UserFactory


def test_therapist_logs_in_and_sees_own_patient(client, auth):
    therapist = UserFactory(email="t@clinic.test")
    PatientFactory(clinic=therapist.clinic, display_name="Zoe Quinn", primary=therapist)
    response = auth.login("t@clinic.test")
    assert response.status_code == 303
    page = client.get("/patients").get_data(as_text=True)
    assert "Zoe Quinn" in page
