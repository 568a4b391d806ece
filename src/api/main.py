"""The app uvicorn serves: `uvicorn api.main:app --app-dir src` (see start_fastapi.sh)."""

from api.app import create_app
from api.preflight import checked_settings

app = create_app(checked_settings())
