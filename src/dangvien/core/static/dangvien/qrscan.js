// Reading a QR code with the camera, for the pages that scan one (the meeting check-in, the card
// verifier): the browser's BarcodeDetector, or jsQR (npm, `make qr-deps`), loaded only when needed.
// window.dangvienScanQR({video, canvas, decoder: jsQR's URL, accept(text) -> value or falsy,
// rejected(text)}) opens the camera, shows it in `video`, and resolves with the first code `accept`
// takes (`rejected` hears of the others); the camera is closed whatever the outcome.
(function () {
  "use strict";

  function loadDecoder(options) {
    var video = options.video, canvas = options.canvas;
    if ("BarcodeDetector" in window) {
      var detector = new window.BarcodeDetector({formats: ["qr_code"]});
      return Promise.resolve(function () {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : ""; });
      });
    }
    if (!options.decoder) {
      return Promise.reject(new Error("no decoder"));
    }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = options.decoder;
      script.onload = function () {
        var context = canvas.getContext("2d", {willReadFrequently: true});
        resolve(function () {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          var image = context.getImageData(0, 0, canvas.width, canvas.height);
          var code = window.jsQR(image.data, image.width, image.height, {inversionAttempts: "dontInvert"});
          return Promise.resolve(code ? code.data : "");
        });
      };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  window.dangvienScanQR = function (options) {
    var video = options.video;
    var stream = null;
    function stop() {
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
      }
      video.hidden = true;
    }
    return Promise.all([loadDecoder(options), navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}})])
      .then(function (ready) {
        var decode = ready[0];
        stream = ready[1];
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () {
          return new Promise(function (resolve) {
            function look() {
              if (video.readyState < 2) {
                setTimeout(look, 200);
                return;
              }
              decode().then(function (text) {
                var value = text && options.accept(text);
                if (value) {
                  resolve(value);
                  return;
                }
                if (text && options.rejected) {
                  options.rejected(text);
                }
                setTimeout(look, 250);
              }, function () { setTimeout(look, 250); });
            }
            look();
          });
        });
      })
      .then(function (value) { stop(); return value; }, function (error) { stop(); throw error; });
  };
})();
