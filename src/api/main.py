"""The app uvicorn serves: `uvicorn api.main:app --app-dir src` (see start_fastapi.sh)."""

from api import metrics_dir

metrics_dir.prepare()  # before prometheus_client is imported: it reads the folder at import

from api.app import create_app  # noqa: E402
from api.preflight import checked_settings  # noqa: E402

app = create_app(checked_settings())
