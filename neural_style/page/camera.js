// The page's camera mode: each camera frame painted by the network, in this browser (ONNX
// Runtime Web, WebAssembly) where it can, else through the server's REST API, as fast as
// the network allows. Uses the page's $, models, say and styleMix.
"use strict";

const params = new URLSearchParams(location.search);
const camera = {
  running: false, frames: 0, fps: 0, via: null, session: null, sessionFor: null, last: null, notice: "",
  input: document.createElement("canvas"),
};
window.camera = camera; // for tests and benchmarks: frames, fps, via, frame()

function tell(text, error) { say(text, error, "camera-status"); }

function fitted(width, height, longSide) {
  // The frame scaled so that its long side is `longSide` (never enlarged), even sizes.
  const scale = Math.min(1, longSide / Math.max(width, height));
  return [Math.max(2, 2 * Math.round((width * scale) / 2)), Math.max(2, 2 * Math.round((height * scale) / 2))];
}

function styleWeights(info) {
  // A many-style network's weights (styles,), normalised to sum 1 as the server does.
  const mix = styleMix();
  if (!mix) return null;
  const values = (info.styles || []).map((s) => mix[s] || 0);
  const total = values.reduce((a, b) => a + b, 0);
  return total > 0 ? Float32Array.from(values, (v) => v / total) : null;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src, onload: resolve, onerror: () => reject(new Error(`${src} did not load`)) });
    document.head.appendChild(script);
  });
}

async function browserSession(name, info) {
  // The network's ONNX file, fetched once (its address names the version: the browser's
  // cache keeps it), in an ONNX Runtime Web session; throws with the reason where it cannot.
  if (!info.onnx) throw new Error(`${name} has no ONNX network on this server (export it with --format onnx)`);
  if (!window.ort) {
    try { await loadScript("/runtime/ort.wasm.min.js"); } catch (e) {
      throw new Error("ONNX Runtime Web is not installed on this server (`make page-runtime`)");
    }
    ort.env.wasm.wasmPaths = "/runtime/";
    // Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
    ort.env.wasm.numThreads = crossOriginIsolated ? Number($("threads").value) : 1;
  }
  const reply = await fetch(`/v1/models/${name}/versions/${info.version}/model.onnx`);
  if (!reply.ok) throw new Error((await reply.json()).error || reply.statusText);
  const bytes = new Uint8Array(await reply.arrayBuffer());
  return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
}

async function prepare() {
  // The session for the chosen network, or the server where the browser cannot paint.
  const name = $("model").value, info = models[name];
  const key = `${name}/${info.version}/${$("via").value}`;
  if (camera.sessionFor === key) return;
  camera.session = null;
  camera.via = "server";
  camera.notice = "";
  if ($("via").value === "browser") {
    tell(`loading ${name} into this browser...`);
    try {
      camera.session = await browserSession(name, info);
      camera.via = `browser, WebAssembly, ${ort.env.wasm.numThreads} thread${ort.env.wasm.numThreads > 1 ? "s" : ""}`;
    } catch (e) {
      camera.notice = `${e.message}: painting through the server instead`;
    }
    tell(camera.notice, true);
  }
  camera.sessionFor = key;
}

function grab() {
  // The camera's frame at the chosen size: ImageData (RGBA).
  const video = $("video");
  const [width, height] = fitted(video.videoWidth, video.videoHeight, Number($("size").value));
  const input = camera.input;
  input.width = width;
  input.height = height;
  const context = input.getContext("2d", { willReadFrequently: true });
  context.drawImage(video, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

async function paintInBrowser(frame, weights) {
  const { width, height, data } = frame, rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) { rgb[j] = data[i]; rgb[j + 1] = data[i + 1]; rgb[j + 2] = data[i + 2]; }
  const session = camera.session, feeds = { [session.inputNames[0]]: new ort.Tensor("uint8", rgb, [1, height, width, 3]) };
  if (session.inputNames.length > 1) feeds[session.inputNames[1]] = new ort.Tensor("float32", weights, [1, weights.length]);
  const out = (await session.run(feeds))[session.outputNames[0]];
  const [, h, w] = out.dims, rgba = new ImageData(w, h), pixels = out.data;
  for (let i = 0, j = 0; j < pixels.length; i += 4, j += 3) { rgba.data[i] = pixels[j]; rgba.data[i + 1] = pixels[j + 1]; rgba.data[i + 2] = pixels[j + 2]; rgba.data[i + 3] = 255; }
  return rgba;
}

async function paintOnServer(name, weights) {
  const b64 = camera.input.toDataURL("image/png").split(",")[1], instance = { b64 };
  if (weights) instance.style_mix = Object.fromEntries(models[name].styles.map((s, k) => [s, weights[k]]));
  const reply = await fetch(`/v1/models/${name}:predict`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ instances: [instance] }) });
  const body = await reply.json();
  if (!reply.ok) throw new Error(body.error || reply.statusText);
  const image = new Image();
  image.src = `data:image/png;base64,${body.predictions[0].b64}`;
  await image.decode();
  const canvas = Object.assign(document.createElement("canvas"), { width: image.width, height: image.height });
  canvas.getContext("2d").drawImage(image, 0, 0);
  return canvas.getContext("2d").getImageData(0, 0, image.width, image.height);
}

async function paintFrame() {
  await prepare();
  const name = $("model").value, info = models[name];
  const weights = info.styles ? styleWeights(info) : null;
  if (info.styles && !weights) { tell("give one style a weight above 0", true); return false; }
  const frame = grab();
  const painted = camera.session ? await paintInBrowser(frame, weights) : await paintOnServer(name, weights);
  const canvas = $("painted");
  canvas.width = painted.width;
  canvas.height = painted.height;
  canvas.getContext("2d").putImageData(painted, 0, 0);
  camera.last = { frame, painted, weights: weights && [...weights], model: name };
  return true;
}

async function run() {
  let previous = performance.now();
  while (camera.running) {
    try {
      if (await paintFrame()) {
        const now = performance.now(), fps = 1000 / (now - previous);
        previous = now;
        camera.frames += 1;
        camera.fps = camera.frames === 1 ? fps : 0.8 * camera.fps + 0.2 * fps;
        $("fps").textContent = `${camera.fps.toFixed(1)} frames/s`;
        $("painted-caption").textContent = `${$("model").value}, ${camera.last.painted.width}x${camera.last.painted.height} px, painted in ${camera.via}`;
        $("snapshot").disabled = false;
        tell(camera.notice, true); // what a frame that failed said is over
      }
    } catch (e) {
      tell(String(e.message || e), true);
    }
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the page answer between frames
  }
}

async function start() {
  if (camera.running) {
    camera.running = false;
    $("video").srcObject.getTracks().forEach((t) => t.stop());
    $("start").textContent = "Start the camera";
    return;
  }
  try {
    $("video").srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    await $("video").play();
  } catch (e) {
    tell(`no camera: ${e.message}`, true);
    return;
  }
  camera.running = true;
  $("start").textContent = "Stop the camera";
  run();
}

function snapshot() {
  $("painted").toBlob((blob) => {
    const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: `${$("model").value}-${Date.now()}.png` });
    link.click();
    URL.revokeObjectURL(link.href);
  }, "image/png");
}

camera.frame = () => {
  // The last frame and its painting as PNG data URLs (lossless), with the style weights used.
  const png = (image) => {
    const canvas = Object.assign(document.createElement("canvas"), { width: image.width, height: image.height });
    canvas.getContext("2d").putImageData(image, 0, 0);
    return canvas.toDataURL("image/png");
  };
  const last = camera.last;
  return last && { input: png(last.frame), painted: png(last.painted), weights: last.weights, model: last.model, via: camera.via };
};

const cores = navigator.hardwareConcurrency || 1;
for (const n of new Set([1, 2, 4, cores].filter((n) => n <= cores))) $("threads").add(new Option(String(n), String(n)));
$("threads").value = params.get("threads") || String(Math.min(4, cores));
$("size").value = params.get("size") || "256";
$("via").value = params.get("via") || "browser";
// Threads are fixed when the runtime starts: another count reloads the page with it.
$("threads").addEventListener("change", () => { params.set("threads", $("threads").value); params.set("mode", "camera"); location.search = params; });
$("start").addEventListener("click", start);
$("snapshot").addEventListener("click", snapshot);
