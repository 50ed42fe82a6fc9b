# Read by the flask CLI in this folder (python-dotenv), so the README's `flask --app wsgi ...`
# commands work on a fresh clone without make. Never read by gunicorn. It is only a default:
# with SECRET_KEY or DATABASE_URL in the environment (a deployment) it does nothing and the app
# is production unless LIFTCLINIC_ENV says otherwise (clinic/config.py, from_env).
LIFTCLINIC_DEFAULT_ENV=development
