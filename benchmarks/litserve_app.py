"""The shipped style network on LitServe, the alternative engine `benchmarks/serving.py`
measures Ray Serve against: the same REST body and reply, LitServe's own batching.

    python benchmarks/litserve_app.py PORT [--no-batching]
"""

import sys

import litserve as ls
import numpy as np

from neural_style import inference, restapi


class StyleAPI(ls.LitAPI):
    def setup(self, device):
        self.network = inference.load("starry_night")
        # warm-up
        self.network.kind.apply_batch(self.network.model, np.zeros((1, 64, 64, 3), np.uint8))

    def decode_request(self, request):
        return restapi.parse_body(json_bytes(request))[0]["image"]

    def batch(self, images):
        return images  # same-size images in the benchmark: stacked below

    def predict(self, images):
        if isinstance(images, list):
            return list(self.network.kind.apply_batch(self.network.model, np.stack(images)))
        return self.network.kind.apply_batch(self.network.model, images[None])[0]

    def unbatch(self, outputs):
        return outputs

    def encode_response(self, output):
        return restapi.predictions([output])


def json_bytes(request):
    import json

    return json.dumps(request).encode()


if __name__ == "__main__":
    batching = "--no-batching" not in sys.argv
    api = StyleAPI(
        max_batch_size=16 if batching else 1,
        batch_timeout=0.01 if batching else 0.0,
        api_path="/v1/models/starry_night:predict",
    )
    ls.LitServer(api, accelerator="cpu", workers_per_device=1).run(
        host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", generate_client_file=False
    )
