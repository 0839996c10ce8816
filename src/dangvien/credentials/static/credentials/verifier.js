// The phone QR verifier in the browser (docs/credentials.md, "The verifier page"): the same checks,
// outcomes and reason codes as the Python verifier (credentials/verify.py, phone.py, status_list.py,
// status_cache.py), with the trust list and the status lists kept on the device, so that it answers
// offline. Libraries from npm (make qr-deps): cbor-x (CBOR), @peculiar/x509 (the certificates, over
// WebCrypto), reflect-metadata (which @peculiar/x509 needs). WebCrypto checks the ES256 and P-384
// signatures; DecompressionStream inflates the status lists.
//
// This file only defines window.dangvienVerifier (no page access): verifier-page.js drives the page.
(function (global) {
  "use strict";

  var CBOR = global.CBOR;
  var X509 = global.x509;
  // As in phone.py and status_list.py (the wire format; the Python side is the reference).
  var PREFIX = "DV1:";
  var FORMAT = "dangvien-card/1";
  var FIELDS = ["name", "card_number", "birth_date", "committee", "admission_date", "official_date"];
  var SEED_BYTES = 16, SALT_BYTES = 16, DIGEST_BYTES = 16;
  var LABEL_PRESENTATION = -65537, CLAIM_DIGESTS = -65537, CLAIM_FORMAT = -65538;
  var CLAIM_SUB = 2, CLAIM_EXP = 4, CLAIM_IAT = 6, CLAIM_STATUS_LIST = 65533, CLAIM_TTL = 65534, CLAIM_STATUS = 65535;
  var TAG_SIGN1 = 18, DATE_TAG = 100, HEADER_ALG = 1, HEADER_KID = 4, HEADER_TYPE = 16, ALG_ES256 = -7;
  var STATUS_MEDIA_TYPE = "application/statuslist+cwt";
  var BITS = 2;
  var MAX_AGE_SECONDS = 7 * 86400;  // status_list.MAX_AGE
  var CLOCK_SKEW_SECONDS = 300;  // verify.CLOCK_SKEW
  var SALT_CONTEXT = new TextEncoder().encode("DV1 salt");
  var STATUS_RESULTS = ["valid", "revoked", "suspended"];
  var UNKNOWN_STATUS_REASONS = ["status_unavailable", "status_stale", "status_list_invalid", "status_unrecognized"];

  // Maps with integer keys, byte strings as Uint8Array; maps written with their minimal header, as
  // cbor2 writes them (the signed payload is rebuilt byte for byte).
  var decoder = new CBOR.Decoder({mapsAsObjects: false, useRecords: false});
  var encoder = new CBOR.Encoder({mapsAsObjects: false, useRecords: false, variableMapSize: true,
                                  tagUint8Array: false});

  function Problem(reason, detail) {
    this.reason = reason;
    this.detail = detail;
  }

  function fail(reason, detail) {
    throw new Problem(reason, detail);
  }

  function isBytes(item) {
    return item instanceof Uint8Array;
  }

  function isInt(item) {
    return typeof item === "number" && Number.isInteger(item);
  }

  function isMap(item) {
    return item instanceof Map;
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function encode(item) {
    return new Uint8Array(encoder.encode(item));
  }

  // cbor-x reads a text string that is not UTF-8 with replacement characters where cbor2 refuses
  // it: an item holding more U+FFFD than the bytes spell out (EF BF BD) is refused here too.
  function decode(bytes) {
    var item = decoder.decode(bytes);
    var spelled = 0;
    for (var i = 0; i + 2 < bytes.length; i++) {
      if (bytes[i] === 0xEF && bytes[i + 1] === 0xBF && bytes[i + 2] === 0xBD) {
        spelled++;
      }
    }
    if (replacements(item) > spelled) {
      throw new Error("error decoding text string");
    }
    return item;
  }

  function replacements(item) {
    if (typeof item === "string") {
      return item.split("\uFFFD").length - 1;
    }
    if (Array.isArray(item)) {
      return item.reduce(function (sum, value) { return sum + replacements(value); }, 0);
    }
    if (item instanceof Map) {
      var sum = 0;
      item.forEach(function (value, key) { sum += replacements(key) + replacements(value); });
      return sum;
    }
    return item instanceof CBOR.Tag ? replacements(item.value) : 0;
  }

  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (digest) { return new Uint8Array(digest); });
  }

  // --- Base45 (RFC 9285) --------------------------------------------------------------------------
  // Written here: the npm packages for it are CommonJS only (no browser build) and accept what RFC
  // 9285 forbids (a triple above 0xFFFF), where phone.b45decode refuses: a damaged code must get the
  // same answer here as there.
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

  function b45decode(text) {
    var values = [];
    for (var i = 0; i < text.length; i++) {
      var value = B45.indexOf(text[i]);
      if (value < 0) {
        throw new Error("not Base45: a character outside its alphabet");
      }
      values.push(value);
    }
    if (values.length % 3 === 1) {
      throw new Error("not Base45: a length of 3n + 1 characters");
    }
    var out = [];
    for (var j = 0; j + 2 < values.length; j += 3) {
      var triple = values[j] + 45 * values[j + 1] + 2025 * values[j + 2];
      if (triple > 0xFFFF) {
        throw new Error("not Base45: a triple above 0xFFFF");
      }
      out.push(triple >> 8, triple & 0xFF);
    }
    if (values.length % 3 === 2) {
      var last = values[values.length - 2] + 45 * values[values.length - 1];
      if (last > 0xFF) {
        throw new Error("not Base45: a final pair above 0xFF");
      }
      out.push(last);
    }
    return new Uint8Array(out);
  }

  // --- COSE_Sign1 (cose.py) -------------------------------------------------------------------------

  function decodeSign1(data) {
    var item;
    try {
      item = decode(data);
    } catch (error) {
      fail("malformed", "not CBOR: " + error.message);
    }
    if (item instanceof CBOR.Tag) {
      if (item.tag !== TAG_SIGN1) {
        fail("malformed", "CBOR tag " + item.tag + ", not COSE_Sign1 (18)");
      }
      item = item.value;
    }
    if (!Array.isArray(item) || item.length !== 4) {
      fail("malformed", "not a COSE_Sign1 array of four items");
    }
    var protectedBytes = item[0], unprotected = item[1], payload = item[2], signature = item[3];
    if (!isBytes(protectedBytes) || !isMap(unprotected) || !isBytes(signature)) {
      fail("malformed", "COSE_Sign1 items of the wrong types");
    }
    if (payload !== null && !isBytes(payload)) {
      fail("malformed", "COSE_Sign1 payload is neither bytes nor nil");
    }
    var headers = new Map();
    if (protectedBytes.length) {
      try {
        headers = decode(protectedBytes);
      } catch (error) {
        fail("malformed", "protected header is not CBOR");
      }
    }
    if (!isMap(headers)) {
      fail("malformed", "protected header is not a map");
    }
    if (headers.get(HEADER_ALG) !== ALG_ES256) {
      fail("malformed", "algorithm " + headers.get(HEADER_ALG) + ", expected ES256 (-7)");
    }
    if (!isBytes(headers.get(HEADER_KID))) {
      fail("malformed", "no key id in the protected header");
    }
    if (signature.length !== 64) {
      fail("malformed", "signature is not 64 bytes");
    }
    return {protectedBytes: protectedBytes, headers: headers, unprotected: unprotected, payload: payload,
            signature: signature, keyId: hex(headers.get(HEADER_KID))};
  }

  function signatureValid(publicKey, message, payload) {
    var toBeSigned = encode(["Signature1", message.protectedBytes, new Uint8Array(0), payload]);
    // WebCrypto's ECDSA signature is r||s, as COSE writes it.
    return crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, publicKey, message.signature, toBeSigned);
  }

  // --- the phone QR (phone.py) --------------------------------------------------------------------

  // salt[i] = HMAC-SHA256(seed, "DV1 salt" || i)[:16], for the given indexes (one key import).
  function saltsFromSeed(seed, indexes) {
    return crypto.subtle.importKey("raw", seed, {name: "HMAC", hash: "SHA-256"}, false, ["sign"])
      .then(function (key) {
        return Promise.all(indexes.map(function (index) {
          var message = new Uint8Array(SALT_CONTEXT.length + 1);
          message.set(SALT_CONTEXT);
          message[SALT_CONTEXT.length] = index;
          return crypto.subtle.sign("HMAC", key, message)
            .then(function (mac) { return new Uint8Array(mac).slice(0, SALT_BYTES); });
        }));
      });
  }

  function digest(index, saltBytes, slot) {
    return sha256(encode([index, saltBytes, slot])).then(function (d) { return d.slice(0, DIGEST_BYTES); });
  }

  // A shown field's value as it travels: a string, an integer (a year), nil, or a date (tag 100, days
  // since 1970). Anything else is refused, as phone._decode_value does.
  function fieldValue(slot) {
    if (slot === null || typeof slot === "string" || isInt(slot)) {
      return slot;
    }
    if (slot instanceof CBOR.Tag && slot.tag === DATE_TAG && isInt(slot.value)) {
      return new Date(slot.value * 86400000).toISOString().slice(0, 10);
    }
    throw new Error("a field cannot hold this type");
  }

  function presentation(item) {
    if (!Array.isArray(item) || item.length !== 6) {
      fail("malformed", "no presentation in the unprotected header");
    }
    if (!isInt(item[0]) || !isInt(item[1]) || !isInt(item[2]) || item[2] < 0) {
      fail("malformed", "iat, exp and the status index must be integers");
    }
    if (typeof item[3] !== "string" || !item[3]) {
      fail("malformed", "no status list uri");
    }
    if (!Array.isArray(item[5]) || item[5].length !== FIELDS.length) {
      fail("malformed", "the credential has " + FIELDS.length + " fields");
    }
    return {iat: item[0], exp: item[1], index: item[2], uri: item[3], salts: item[4], slots: item[5]};
  }

  function saltsOf(salts, shown) {
    if (isBytes(salts)) {
      if (salts.length !== SEED_BYTES || shown.length !== FIELDS.length) {
        fail("malformed", "a seed is only sent with every field shown");
      }
      return saltsFromSeed(salts, shown);
    }
    if (!Array.isArray(salts) || salts.length !== shown.length ||
        !salts.every(function (s) { return isBytes(s) && s.length === SALT_BYTES; })) {
      fail("malformed", "one 16-byte salt for each field shown");
    }
    return Promise.resolve(salts);
  }

  // The QR parsed and the payload its signature covers rebuilt (phone.open_qr).
  function openQr(text) {
    text = text.trim();
    if (text.indexOf(PREFIX) !== 0) {
      return Promise.reject(new Problem("not_a_card_qr", "the text does not start with " + PREFIX));
    }
    return Promise.resolve().then(function () {
      var data;
      try {
        data = b45decode(text.slice(PREFIX.length));
      } catch (error) {
        fail("malformed", "the text after the prefix is not Base45");
      }
      var message = decodeSign1(data);
      if (message.payload !== null) {
        fail("malformed", "the payload must be detached");
      }
      var shown_ = presentation(message.unprotected.get(LABEL_PRESENTATION));
      var shown = [];
      shown_.slots.forEach(function (slot, i) { if (!isBytes(slot)) { shown.push(i); } });
      return saltsOf(shown_.salts, shown).then(function (salts) {
        var fields = {};
        return Promise.all(shown_.slots.map(function (slot, i) {
          if (isBytes(slot)) {
            if (slot.length !== DIGEST_BYTES) {
              fail("malformed", "the digest of " + FIELDS[i] + " is not " + DIGEST_BYTES + " bytes");
            }
            return slot;
          }
          try {
            fields[FIELDS[i]] = fieldValue(slot);
          } catch (error) {
            fail("malformed", FIELDS[i] + ": " + error.message);
          }
          return digest(i, salts[shown.indexOf(i)], slot);
        })).then(function (digests) {
          var payload = encode(new Map([
            [CLAIM_EXP, shown_.exp],
            [CLAIM_IAT, shown_.iat],
            [CLAIM_STATUS, new Map([["status_list", new Map([["idx", shown_.index], ["uri", shown_.uri]])]])],
            [CLAIM_DIGESTS, digests],
            [CLAIM_FORMAT, FORMAT]
          ]));
          return {message: message, payload: payload, iat: shown_.iat, exp: shown_.exp, index: shown_.index,
                  uri: shown_.uri, fields: fields};
        });
      });
    });
  }

  // --- the trust list (keys.TrustList) ----------------------------------------------------------------
  // The same file as `dangvien keys export-trust`: the P-384 roots and the P-256 signers' X.509
  // certificates. A signer counts when its certificate is signed by a listed root that is a CA, is
  // a signer's certificate (digitalSignature, not a CA) and, for a role, holds its extended key usage.

  // @peculiar/x509 writes an OID arc above 2^53 as "{hex}" of its 7-bit groups; the roles' arc (a
  // UUID, 2.25.<128 bits>) is one: written back in decimal to compare with the server's OIDs.
  function oidText(oid) {
    return oid.replace(/\{([0-9a-f]+)\}/g, function (match, groups) {
      var value = BigInt(0);
      for (var i = 0; i < groups.length; i += 2) {
        value = value * BigInt(128) + BigInt(parseInt(groups.slice(i, i + 2), 16) & 0x7f);
      }
      return value.toString();
    });
  }

  function extension(certificate, kind) {
    return certificate.getExtension(kind);
  }

  function isCa(certificate) {
    var constraints = extension(certificate, X509.BasicConstraintsExtension);
    return Boolean(constraints && constraints.ca);
  }

  function isSignerCertificate(certificate) {
    var usage = extension(certificate, X509.KeyUsagesExtension);
    return Boolean(usage && (usage.usages & X509.KeyUsageFlags.digitalSignature)) && !isCa(certificate);
  }

  function certificateKeyId(certificate) {
    var identifier = extension(certificate, X509.SubjectKeyIdentifierExtension);
    if (identifier) {
      return Promise.resolve(identifier.keyId);
    }
    return sha256(new Uint8Array(certificate.publicKey.rawData)).then(function (d) { return hex(d.slice(0, 8)); });
  }

  function issuedBy(certificate, root) {
    if (certificate.issuer !== root.subject || !isCa(root)) {
      return Promise.resolve(false);
    }
    return certificate.verify({publicKey: root, signatureOnly: true}).catch(function () { return false; });
  }

  // One signer's entry: its root (or none), its roles, its validity, its WebCrypto key.
  function signerEntry(certificate, roots) {
    return roots.reduce(function (found, root) {
      return found.then(function (hit) { return hit || issuedBy(certificate, root).then(function (ok) { return ok ? root : null; }); });
    }, Promise.resolve(null)).then(function (root) {
      var usages = extension(certificate, X509.ExtendedKeyUsageExtension);
      var entry = {certificate: certificate, root: root, signer: isSignerCertificate(certificate),
                   roles: usages ? usages.usages.map(function (oid) { return oidText(String(oid)); }) : [],
                   notBefore: certificate.notBefore.getTime() / 1000, notAfter: certificate.notAfter.getTime() / 1000,
                   key: null};
      if (!root || !entry.signer) {
        return entry;
      }
      return certificate.publicKey.export({name: "ECDSA", namedCurve: "P-256"}, ["verify"])
        .then(function (key) { entry.key = key; return entry; }, function () { entry.root = null; return entry; });
    });
  }

  // trust: the export-trust JSON; roleOids: {"phone": "2.25....2", "status": ...} (keys.ROLE_OIDS).
  function loadTrust(document_, roleOids) {
    if (!document_ || document_.format !== "dangvien-trust-list/1") {
      return Promise.reject(new Error("not a trust list"));
    }
    var roots = document_.roots.map(function (pem) { return new X509.X509Certificate(pem); });
    return Promise.all(document_.signers.map(function (pem) {
      var certificate = new X509.X509Certificate(pem);
      return Promise.all([certificateKeyId(certificate), signerEntry(certificate, roots)]);
    })).then(function (pairs) {
      var signers = new Map();
      pairs.forEach(function (pair) {
        if (!signers.has(pair[0])) {
          signers.set(pair[0], pair[1]);  // the first listed with that key id, as TrustList.signer
        }
      });
      return {signers: signers, roleOids: roleOids};
    });
  }

  function day(seconds) {
    return new Date(seconds * 1000).toISOString().slice(0, 10);
  }

  // keys.TrustList.check: null, or [code, text]. `at`: epoch seconds or null.
  function trustProblem(trust, entry, at, role) {
    if (!entry.root || !entry.signer || !entry.key) {
      return ["signer_untrusted", "the signer's certificate is not issued by a trusted root"];
    }
    if (role && entry.roles.indexOf(trust.roleOids[role]) < 0) {
      return ["signer_role", "the certificate is not a " + role + " signer's"];
    }
    if (at !== null) {
      if (at > entry.notAfter) {
        return ["signer_expired", "the signer's certificate expired on " + day(entry.notAfter)];
      }
      if (at < entry.notBefore) {
        return ["signer_not_yet_valid", "the signer's certificate is valid from " + day(entry.notBefore)];
      }
      if (at < entry.root.notBefore.getTime() / 1000 || at > entry.root.notAfter.getTime() / 1000) {
        return ["root_not_valid", "the root certificate is not valid on " + day(at)];
      }
    }
    return null;
  }

  function trustedSigner(trust, keyId) {
    var entry = trust.signers.get(keyId);
    return entry && !trustProblem(trust, entry, null, null) ? entry : null;
  }

  // --- the status list (status_list.py, status_cache.py) -------------------------------------------------

  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buffer) { return new Uint8Array(buffer); },
      function (error) { throw new Error("the list does not inflate: " + error.message); });
  }

  // A Status List Token checked against the trust list (status_list.read_status_list_token); rejects
  // with an Error saying what failed.
  function readStatusToken(token, trust) {
    return Promise.resolve().then(function () {
      var message;
      try {
        message = decodeSign1(token);
      } catch (problem) {
        throw new Error(problem.detail || String(problem));
      }
      if (message.headers.get(HEADER_TYPE) !== STATUS_MEDIA_TYPE) {
        throw new Error("the token's type is not " + STATUS_MEDIA_TYPE);
      }
      if (message.payload === null) {
        throw new Error("the token has no payload");
      }
      var entry = trustedSigner(trust, message.keyId);
      if (!entry) {
        throw new Error("signer_untrusted: key " + message.keyId + " is not in the trust list or does not chain to its root");
      }
      return signatureValid(entry.key, message, message.payload).then(function (valid) {
        if (!valid) {
          throw new Error("bad_signature: the token's signature does not verify");
        }
        var claims;
        try {
          claims = decode(message.payload);
        } catch (error) {
          throw new Error("the token's claims are not CBOR");
        }
        if (!isMap(claims)) {
          throw new Error("the token's claims are not a map");
        }
        var uri = claims.get(CLAIM_SUB), iat = claims.get(CLAIM_IAT), exp = claims.get(CLAIM_EXP);
        var ttl = claims.get(CLAIM_TTL), list = claims.get(CLAIM_STATUS_LIST);
        if (typeof uri !== "string" || !isInt(iat) || !isMap(list)) {
          throw new Error("the token lacks sub, iat or status_list");
        }
        if ((exp !== undefined && !isInt(exp)) || (ttl !== undefined && !(isInt(ttl) && ttl > 0))) {
          throw new Error("the token's exp or ttl is not a positive integer");
        }
        if (list.get("bits") !== BITS || !isBytes(list.get("lst"))) {
          throw new Error("the list is not " + BITS + " bits an entry with a byte string");
        }
        var problem = trustProblem(trust, entry, iat, "status");
        if (problem) {
          throw new Error(problem[0] + ": " + problem[1]);
        }
        return inflate(list.get("lst")).then(function (packed) {
          return {uri: uri, issuedAt: iat, expiresAt: exp === undefined ? null : exp,
                  ttl: ttl === undefined ? null : ttl, packed: packed};
        });
      });
    });
  }

  // One card's status from a kept copy (StatusCache.lookup). copy: {token (parsed) | null, problem,
  // fetchedAt (epoch seconds)} or null when there is none.
  function statusLookup(copy, uri, index, now) {
    if (!copy) {
      return {status: null, reason: "status_unavailable", detail: "no copy of the status list " + uri};
    }
    var token = copy.token;
    if (!token) {
      return {status: null, reason: "status_list_invalid", detail: copy.problem};
    }
    var age = now - Math.min(token.issuedAt, copy.fetchedAt);
    var size = token.packed.length * (8 / BITS);
    if (age > MAX_AGE_SECONDS) {
      return {status: null, reason: "status_stale", issuedAt: token.issuedAt,
              detail: "the copy of the status list is " + Math.floor(age / 86400) + " days old"};
    }
    if (token.expiresAt !== null && now >= token.expiresAt) {
      return {status: null, reason: "status_stale", issuedAt: token.issuedAt, detail: "the status list expired"};
    }
    if (index < 0 || index >= size) {
      return {status: null, reason: "status_index_out_of_range", issuedAt: token.issuedAt,
              detail: "index " + index + " is outside the list (" + size + " entries)"};
    }
    var value = (token.packed[Math.floor(index / 4)] >> (BITS * (index % 4))) & 3;
    if (value >= STATUS_RESULTS.length) {
      return {status: null, reason: "status_unrecognized", issuedAt: token.issuedAt, detail: "status value " + value};
    }
    return {status: STATUS_RESULTS[value], reason: "", issuedAt: token.issuedAt, detail: ""};
  }

  // --- the verdict (verify.Verifier.verify_qr) -------------------------------------------------------------

  function verdict(result, reason, detail, extra) {
    var answer = {result: result, reason: reason, detail: detail || "", fields: {}, expiresAt: null};
    return Object.assign(answer, extra || {});
  }

  function signatureProblem(trust, opened) {
    var message = opened.message;
    var entry = trust.signers.get(message.keyId);
    if (!entry || trustProblem(trust, entry, null, null)) {
      return Promise.resolve(["signer_untrusted", "key " + message.keyId +
                              " is not in the trust list or does not chain to one of its roots"]);
    }
    // A phone's credential or the QR printed on the card (verify.QR_ROLES).
    var problem = trustProblem(trust, entry, null, "phone");
    if (problem && problem[0] === "signer_role") {
      problem = trustProblem(trust, entry, null, "printed") && problem;
    }
    if (problem) {
      return Promise.resolve(problem);
    }
    return signatureValid(entry.key, message, opened.payload).then(function (valid) {
      if (!valid) {
        return ["bad_signature", "the signature does not verify over the rebuilt payload"];
      }
      if (opened.iat > entry.notAfter) {
        return ["signer_expired", "key " + message.keyId + "'s certificate expired before " + day(opened.iat)];
      }
      if (opened.iat < entry.notBefore) {
        return ["signer_not_yet_valid", "key " + message.keyId + "'s certificate starts after " + day(opened.iat)];
      }
      return null;
    });
  }

  // text: the QR's text; trust: from loadTrust; statusCopy(uri): a promise of the kept copy (see
  // statusLookup); now: epoch seconds.
  function verify(text, trust, statusCopy, now) {
    return openQr(text).then(function (opened) {
      return signatureProblem(trust, opened).then(function (problem) {
        if (problem) {
          return verdict("invalid", problem[0], problem[1]);
        }
        if (now >= opened.exp) {
          return verdict("invalid", "expired", "expired", {expiresAt: opened.exp});
        }
        if (now + CLOCK_SKEW_SECONDS < opened.iat) {
          return verdict("invalid", "not_yet_valid", "issued later", {expiresAt: opened.exp});
        }
        return statusCopy(opened.uri).then(function (copy) {
          var lookup = statusLookup(copy, opened.uri, opened.index, now);
          var result, reason = lookup.reason;
          if (lookup.status) {
            result = lookup.status;
            reason = result === "valid" ? "" : result;
          } else {
            result = UNKNOWN_STATUS_REASONS.indexOf(reason) >= 0 ? "unknown" : "invalid";
          }
          return verdict(result, reason, lookup.detail, {fields: opened.fields, expiresAt: opened.exp,
                                                         statusListIssuedAt: lookup.issuedAt || null,
                                                         statusUri: opened.uri});
        });
      });
    }, function (problem) {
      if (problem instanceof Problem) {
        return verdict("invalid", problem.reason, problem.detail);
      }
      throw problem;
    }).catch(function (problem) {
      if (problem instanceof Problem) {
        return verdict("invalid", problem.reason, problem.detail);
      }
      return verdict("invalid", "malformed", String(problem && problem.message || problem));
    });
  }

  global.dangvienVerifier = {
    FIELDS: FIELDS, STATUS_MEDIA_TYPE: STATUS_MEDIA_TYPE, loadTrust: loadTrust, readStatusToken: readStatusToken,
    verify: verify, b45decode: b45decode
  };
})(typeof window !== "undefined" ? window : globalThis);
