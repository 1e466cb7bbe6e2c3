"""``neural-style serve``'s front: TF Serving's REST API (``restapi``) and the page, in a
FastAPI app deployed on Ray Serve.  It reads and checks each request within the admission
budgets (``admission``), routes it to its model's current version (``serving``) and serves
the page, its camera mode and the networks as ONNX."""

# no `from __future__ import annotations`: FastAPI reads the handlers' annotations (Request)
import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from ray import serve
from starlette.exceptions import HTTPException as StarletteHTTPException

from neural_style import admission, browser, loopback, restapi
from neural_style.errors import NeuralStyleError
from neural_style.serving import PaintError

PAGE = browser.PAGE / "index.html"
EXPORT_ONNX = "export it with `neural-style export --format onnx`"
app = FastAPI(title="neural_style", docs_url=None, redoc_url=None)


@app.exception_handler(StarletteHTTPException)
async def _tf_serving_errors(request, exc):
    """FastAPI's own 404 and 405 in TF Serving's shape: ``{"error": ...}``."""
    return JSONResponse(
        {"error": f"{request.method} {request.url.path}: {exc.detail}"}, status_code=exc.status_code
    )


@serve.deployment(max_ongoing_requests=256, ray_actor_options={"num_cpus": 0})
@serve.ingress(app)
class Ingress:
    """The REST API and the page; routes each model's requests to its current version."""

    def __init__(self, max_pixels=restapi.MAX_PIXELS, max_memory=None):
        loopback.replica_grpc_on_loopback()
        self.max_pixels = max_pixels
        # Bodies being read, then the images being decoded and painted, each within a
        # budget; a request takes them in that order, so none waits on one it blocks.
        self.bodies = admission.Budget(admission.BODIES_AT_ONCE * admission.body_limit(max_pixels))
        self.memory = admission.Budget(max_memory or admission.default_memory())
        self.models = {}  # name -> {"current": N, "versions": {N: state}, "info": {...}}
        self.told = (
            False  # routes come from the rollout, again after a restart: until then, "retry"
        )
        self.handles = {}

    def route(self, name, version, state, info=None, current=False, error=None):
        """Record ``version``'s state (TF Serving's words) and, for one that failed to
        load, its ``error``; ``current``: serve it now."""
        self._route(name, version, state, info, current, error)
        self.told = True  # after the route: a request in between would find no model

    def _route(self, name, version, state, info, current, error):
        model = self.models.setdefault(
            name, {"current": None, "versions": {}, "info": {}, "errors": {}}
        )
        model["versions"][version] = state
        if error:
            model["errors"][version] = error
        else:
            model["errors"].pop(version, None)
        if current:
            self.handles[name] = serve.get_app_handle(f"{name}-v{version}")
            model.update(current=version, info=info or {})

    def restore(self, routes):
        """Every route at once (``routes``: ``route``'s arguments, in order), for a replica
        started again: until the last, its requests get "retry", never a 404 for a model
        whose current version it has not been told yet."""
        self.told = False
        for route in routes:
            self._route(*route)
        self.told = True

    def served(self) -> dict:
        """{name: the version served} (the rollout checks that a restarted ingress knows)."""
        return {name: m["current"] for name, m in self.models.items() if m["current"] is not None}

    @app.get("/")
    def page(self):
        return HTMLResponse(PAGE.read_text(), headers=browser.ISOLATED)

    @app.get("/camera.js")
    def camera(self):
        return FileResponse(
            browser.PAGE / "camera.js", media_type="text/javascript", headers=browser.ISOLATED
        )

    @app.get("/runtime/{file}")
    def runtime(self, file: str):
        """ONNX Runtime Web's files for the camera mode, from the installed npm package."""
        path = browser.runtime_file(file)
        if path is None:
            return JSONResponse(
                {
                    "error": (
                        f"no runtime file {file!r}: ONNX Runtime Web is not installed (`make "
                        "page-runtime`)"
                    )
                },
                status_code=404,
            )
        return FileResponse(
            path,
            media_type=browser.media_type(path),
            headers={**browser.ISOLATED, "Cache-Control": "public, max-age=86400"},
        )

    @app.get("/v1/models/{name}/versions/{version}/model.onnx")
    async def onnx(self, name: str, version: int):
        """The served version as ONNX; its address names the version, so it is cached for good."""
        try:
            self._model(name, version)
            data = await self.handles[name].onnx.remote()
        except restapi.RestError as e:
            return JSONResponse(e.body(), status_code=e.status)
        except Exception as e:  # the conversion failed, or the replica died (Ray restarts it)
            return JSONResponse(
                {
                    "error": (
                        f"model {name}: no ONNX network ({type(e).__name__}); the page paints "
                        "through the server"
                    )
                },
                status_code=503,
            )
        if data is None:
            return JSONResponse(
                {"error": f"model {name} has no ONNX network: {EXPORT_ONNX}"}, status_code=404
            )
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    @app.get("/v1/models")
    def list_models(self):
        return {
            name: {**m["info"], "version": m["current"]}
            for name, m in self.models.items()
            if m["current"] is not None
        }

    @app.get("/v1/models/{spec:path}")
    def status(self, spec: str):
        try:
            name, version, verb = restapi.parse_path(spec)
            if verb is not None:
                raise restapi.RestError(
                    405, f"GET /v1/models/{spec}: :{verb} takes POST with a JSON body"
                )
            model = self.models.get(name)
            if model is None:
                raise restapi.RestError(
                    404,
                    f"no model {name!r}; models: {', '.join(sorted(self.list_models())) or 'none'}",
                )
            return restapi.version_status(model["versions"], version, model["errors"])
        except restapi.RestError as e:
            return JSONResponse(e.body(), status_code=e.status)

    @app.post("/v1/models/{spec:path}")
    async def predict(self, spec: str, request: Request):
        try:
            name, version, verb = restapi.parse_path(spec)
            if verb != "predict":
                raise restapi.RestError(404, f"/v1/models/{spec}: this server answers :predict")
            model = self._model(name, version)
            limit = admission.body_limit(self.max_pixels)
            async with self.bodies.hold(
                min(admission.declared_length(request) or limit, limit), "the request body"
            ):
                raw = await admission.read_body(request, limit)
                opened = await asyncio.to_thread(restapi.open_body, raw, self.max_pixels)
                del raw
                weights = [self._weights(model, looks) for _, looks in opened]
                pixels = restapi.pixels(opened)
                async with self.memory.hold(
                    pixels * model["info"]["bytes_per_pixel"], f"painting {pixels:,} px with {name}"
                ):
                    instances = await asyncio.to_thread(restapi.decode_body, opened)
                    # together: a rollout may switch both while we wait
                    handle, served = (self.handles[name], model["current"])
                    outputs = await asyncio.gather(
                        *(
                            handle.predict.remote(item["image"], w)
                            for item, w in zip(instances, weights)
                        )
                    )
                    reply = await asyncio.to_thread(restapi.predictions, outputs)
            return JSONResponse(reply, headers={"X-Model-Version": str(served)})
        except restapi.RestError as e:
            return JSONResponse(e.body(), status_code=e.status)
        except PaintError as e:
            return JSONResponse({"error": f"model {name}: {e}"}, status_code=500)
        except Exception as e:  # the replica died or timed out (Ray's errors): Ray restarts it
            return JSONResponse(
                {"error": f"model {name} failed to answer ({type(e).__name__}); retry"},
                status_code=503,
            )

    def _model(self, name, version=None):
        """The model ``name`` routes to, if it serves ``version`` (None: any); else a
        RestError (503 while starting, 404 for a model or version not served)."""
        if not self.told:
            raise restapi.RestError(
                503, "the server is starting (its models are being routed); retry"
            )
        model = self.models.get(name)
        if model is None or model["current"] is None:
            raise restapi.RestError(
                404, f"no model {name!r}; models: {', '.join(sorted(self.list_models())) or 'none'}"
            )
        if version is not None and version != model["current"]:
            raise restapi.RestError(
                404,
                f"model {name} version {version} is not served; the served version is "
                f"{model['current']}",
            )
        return model

    @staticmethod
    def _weights(model, looks):
        from neural_style import kinds

        try:
            return kinds.get(model["info"]["kind"]).request_inputs(model["info"], looks)
        except NeuralStyleError as e:
            raise restapi.RestError(400, str(e)) from None
