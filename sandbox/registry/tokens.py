"""serviceaccounts/<name>/token (authentication.k8s.io/v1 TokenRequest) and the tokens it issues, as kube-apiserver's
TokenREST issues them and its service account authenticator reads them back.

A token is a JWT signed RS256 with the sandbox's service account key (kept beside the state, so tokens outlive a
restart, as kube-apiserver's --service-account-key-file does), with kube-apiserver's claims:

    {"iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:alice:learner",
     "aud": ["https://kubernetes.default.svc.cluster.local"], "exp": ..., "iat": ..., "nbf": ..., "jti": "<uuid>",
     "kubernetes.io": {"namespace": "alice", "serviceaccount": {"name": "learner", "uid": "<the account's uid>"}}}

Presented as a bearer token, it authenticates while it has not expired, its audience is the API's, and the service
account (and the object it is bound to, if any) still exists with the same uid: deleting the account revokes its
tokens. The user is `system:serviceaccount:<namespace>:<name>` in the groups system:serviceaccounts,
system:serviceaccounts:<namespace> and system:authenticated. The sandbox authorizes every user alike: it has no
RBAC authorizer (sandbox/README.md)."""
from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sandbox.machinery import errors, resources
from sandbox.machinery.errors import Cause
from sandbox.registry.options import WriteOptions, write_options

ISSUER = "https://kubernetes.default.svc.cluster.local"  # kind's --service-account-issuer
API_AUDIENCES = (ISSUER,)  # --api-audiences defaults to the issuer
DEFAULT_EXPIRATION = 3600  # SetDefaults_TokenRequestSpec
MIN_EXPIRATION = 600
MAX_EXPIRATION = 1 << 32
LEEWAY = 60  # go-jose's DefaultLeeway, which the authenticator's validation allows on exp and nbf
KEY_FILE = "sa.key"
TOKEN_REQUEST = resources.ResourceType("authentication.k8s.io", "v1", "TokenRequest", "tokenrequests", True,
                                       verbs=resources.CREATE_ONLY)
_SERVICE_ACCOUNTS = ("", "serviceaccounts")
_BINDABLE = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}  # the kinds a token may be bound to


@dataclass(frozen=True)
class UserInfo:
    """Who made a request: what the authenticator hands the rest of kube-apiserver."""
    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


# The user of the request being served: set by the HTTP layer's authenticator, read by the self reviews
# (`kubectl auth whoami`). None: the sandbox's own user (its kubeconfig's bearer token).
REQUEST_USER: ContextVar[UserInfo | None] = ContextVar("sandbox_request_user", default=None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """The service account key: signs claims into a JWT and checks a JWT's signature."""

    def __init__(self, key_pem: bytes | None = None):
        if key_pem is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self._key = serialization.load_pem_private_key(key_pem, password=None)
        public = self._key.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
        self.key_id = _b64(hashlib.sha256(public).digest())  # keyIDFromPublicKey: SHA-256 of the DER key

    @property
    def key_pem(self) -> bytes:
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())

    @classmethod
    def load_or_create(cls, directory: Path | None) -> TokenSigner:
        """The key kept in `directory` (made and kept there on first use); a new key each start without one."""
        path = directory / KEY_FILE if directory is not None else None
        if path is not None and path.exists():
            return cls(path.read_bytes())
        signer = cls()
        if path is not None:
            directory.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_bytes(signer.key_pem)
        return signer

    def sign(self, claims: dict) -> str:
        header = _b64(json.dumps({"alg": "RS256", "kid": self.key_id}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signed = f"{header}.{payload}".encode()
        return f"{header}.{payload}.{_b64(self._key.sign(signed, padding.PKCS1v15(), hashes.SHA256()))}"

    def verify(self, token: str) -> dict | None:
        """The claims of a token this key signed, else None (another issuer's, malformed, or tampered with)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            header = json.loads(_unb64(parts[0]))
            if not isinstance(header, dict) or header.get("alg") != "RS256":
                return None
            self._key.public_key().verify(_unb64(parts[2]), f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(),
                                          hashes.SHA256())
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, InvalidSignature, UnicodeDecodeError):
            return None
        return claims if isinstance(claims, dict) else None


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expiration_causes(seconds) -> list[Cause]:
    """ValidateTokenRequest."""
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return []  # the decoder already refused a value that is not an integer
    if seconds < MIN_EXPIRATION:
        return [Cause("spec.expirationSeconds", f"Invalid value: {seconds}: may not specify a duration less than "
                      "10 minutes", "FieldValueInvalid")]
    if seconds > MAX_EXPIRATION:
        return [Cause("spec.expirationSeconds", f"Invalid value: {seconds}: may not specify a duration larger "
                      "than 2^32 seconds", "FieldValueInvalid")]
    return []


class TokenRequestMixin:
    """Registry.request_token and Registry.authenticate_token (mixed into Registry, whose helpers they use)."""

    token_signer: TokenSigner | None = None  # set at start from the state directory; else made on first use

    def _signer(self) -> TokenSigner:
        if self.token_signer is None:
            self.token_signer = TokenSigner()
        return self.token_signer

    def request_token(self, namespace: str, name: str, body, options: WriteOptions | None = None) -> dict:
        """POST serviceaccounts/<name>/token: a TokenRequest answered with a signed token in its status."""
        options = write_options(options)
        request = self._decode(TOKEN_REQUEST, body, options)
        meta = request["metadata"]
        self._set_namespace(TOKEN_REQUEST, namespace, meta)
        spec = request.get("spec") if isinstance(request.get("spec"), dict) else {}
        spec.setdefault("expirationSeconds", DEFAULT_EXPIRATION)
        causes = _expiration_causes(spec["expirationSeconds"])
        if causes:
            raise errors.invalid("authentication.k8s.io", "TokenRequest", name, causes)
        if meta.get("name") not in (None, "", name):
            raise errors.invalid("authentication.k8s.io", "TokenRequest", name, [Cause(
                "metadata.name", f'Invalid value: "{meta["name"]}": must match the service account name if '
                "specified", "FieldValueInvalid")])
        account = self._stored(resources.lookup("", "v1", "serviceaccounts"), namespace, name)
        bound = self._bound_object(namespace, name, spec.get("boundObjectRef"))
        if not spec.get("audiences"):
            spec["audiences"] = list(API_AUDIENCES)
        spec.setdefault("boundObjectRef", None)
        now = int(time.time())
        expiry = now + spec["expirationSeconds"]
        claims = self._claims(account, bound, spec["audiences"], now, expiry)
        meta["creationTimestamp"] = _timestamp(now)
        return {"kind": "TokenRequest", "apiVersion": TOKEN_REQUEST.api_version, "metadata": meta, "spec": spec,
                "status": {"token": self._signer().sign(claims), "expirationTimestamp": _timestamp(expiry)}}

    def _bound_object(self, namespace: str, account: str, ref) -> tuple[str, dict] | None:
        """The Pod, Secret or Node a token is bound to (it stops authenticating once that object is gone)."""
        if not isinstance(ref, dict):
            return None
        kind, name = ref.get("kind", ""), ref.get("name", "")
        group = (ref.get("apiVersion") or "").rpartition("/")[0] if "/" in (ref.get("apiVersion") or "") else ""
        if group or kind not in _BINDABLE:
            gvk = f"{group}/{(ref.get('apiVersion') or '').rpartition('/')[2]}, Kind={kind}"
            raise errors.bad_request(f"cannot bind token to object of type {gvk}")
        rt = resources.lookup("", "v1", _BINDABLE[kind])
        obj = self._stored(rt, namespace if rt.namespaced else None, name)
        if kind == "Pod" and (obj.get("spec") or {}).get("serviceAccountName") != account:
            raise errors.bad_request(f'cannot bind token for serviceaccount "{account}" to pod running with '
                                     f'serviceaccount "{(obj.get("spec") or {}).get("serviceAccountName", "")}"')
        uid = obj["metadata"].get("uid", "")
        if ref.get("uid") and ref["uid"] != uid:
            raise errors.conflict("", kind, name, f"the UID in the bound object reference ({ref['uid']}) does not "
                                  f"match the UID in record ({uid}). The object might have been deleted and then "
                                  "recreated")
        return kind, obj

    @staticmethod
    def _claims(account: dict, bound: tuple[str, dict] | None, audiences: list, now: int, expiry: int) -> dict:
        meta = account["metadata"]
        private = {"namespace": meta["namespace"],
                   "serviceaccount": {"name": meta["name"], "uid": meta.get("uid", "")}}
        if bound is not None:
            kind, obj = bound
            private[kind.lower()] = {"name": obj["metadata"]["name"], "uid": obj["metadata"].get("uid", "")}
        return {"aud": list(audiences), "exp": expiry, "iat": now, "iss": ISSUER, "jti": str(uuid.uuid4()),
                "kubernetes.io": private, "nbf": now,
                "sub": f"system:serviceaccount:{meta['namespace']}:{meta['name']}"}

    def authenticate_token(self, token: str) -> UserInfo | None:
        """The user a service account token stands for, or None when it is not one this sandbox issued and still
        honours (expired, another audience, its account or bound object deleted or replaced)."""
        claims = self._signer().verify(token)
        if claims is None or claims.get("iss") != ISSUER:
            return None
        now = time.time()
        if not isinstance(claims.get("exp"), int) or now > claims["exp"] + LEEWAY:
            return None
        if isinstance(claims.get("nbf"), int) and now < claims["nbf"] - LEEWAY:
            return None
        audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
        if not set(audiences) & set(API_AUDIENCES):
            return None
        private = claims.get("kubernetes.io") if isinstance(claims.get("kubernetes.io"), dict) else {}
        namespace, account = private.get("namespace"), private.get("serviceaccount") or {}
        if not isinstance(namespace, str) or not isinstance(account, dict):
            return None
        if not self._still_there(_SERVICE_ACCOUNTS, namespace, account):
            return None
        extra = {"authentication.kubernetes.io/credential-id": [f"JTI={claims.get('jti', '')}"]}
        for kind, plural in _BINDABLE.items():
            ref = private.get(kind.lower())
            if ref is not None:
                if not self._still_there(("", plural), namespace if kind != "Node" else "", ref):
                    return None
                extra[f"authentication.kubernetes.io/{kind.lower()}-name"] = [ref.get("name", "")]
                extra[f"authentication.kubernetes.io/{kind.lower()}-uid"] = [ref.get("uid", "")]
        return UserInfo(f"system:serviceaccount:{namespace}:{account.get('name')}", account.get("uid", ""),
                        ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"),
                        extra)

    def _still_there(self, group_plural: tuple[str, str], namespace: str, ref: dict) -> bool:
        raw = self.store.get(group_plural[1], namespace, str(ref.get("name", "")))
        if raw is None:
            return False
        meta = json.loads(raw)["metadata"]
        return not meta.get("deletionTimestamp") and meta.get("uid") == ref.get("uid")
