package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// openIDConfiguration answers the tenant discovery MSAL makes before its
// first token request. MSAL requires authorization_endpoint, token_endpoint
// and issuer, and checks that the issuer's scheme and host are the
// authority's; with instance discovery disabled this is the only metadata
// call it makes.
func (s *Server) openIDConfiguration(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	base := s.url + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base + "/v2.0",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "token id_token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "emulator",
	})
}

// token is the client-credentials grant: it checks the client id and secret
// (when Options give them) and issues a JWT-shaped opaque token for the
// requested scope. Tokens are random, so a leaked log line can be checked
// for them.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	if s.o.TenantID != "" && r.PathValue("tenant") != s.o.TenantID {
		oauthError(w, http.StatusBadRequest, "invalid_tenant", "tenant not found")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if id == "" || (s.o.ClientID != "" && id != s.o.ClientID) ||
		(s.o.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.o.ClientSecret)) != 1) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
		return
	}
	scope := r.PostForm.Get("scope")
	if scope == "" {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "scope is required")
		return
	}
	life := s.o.TokenLifetime
	if life <= 0 {
		life = time.Hour
	}
	tok, err := s.issue(id, scope, life)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "cannot issue token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     int(life / time.Second),
		"ext_expires_in": int(life / time.Second),
		"access_token":   tok,
	})
}

// issue makes and records a token.
func (s *Server) issue(client, scope string, life time.Duration) (string, error) {
	sig := make([]byte, 32)
	if _, err := rand.Read(sig); err != nil {
		return "", err
	}
	exp := time.Now().Add(life)
	enc := base64.RawURLEncoding
	head, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "none"})
	body, _ := json.Marshal(map[string]any{
		"aud": strings.TrimSuffix(scope, "/.default"), "iss": s.url + s.o.TenantID + "/v2.0",
		"appid": client, "tid": s.o.TenantID, "exp": exp.Unix(),
	})
	tok := enc.EncodeToString(head) + "." + enc.EncodeToString(body) + "." + enc.EncodeToString(sig)
	s.mu.Lock()
	s.tokens[tok] = exp
	s.mu.Unlock()
	return tok, nil
}

// authorized reports whether r carries a bearer token this server issued
// and that has not expired.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.Count(tok, ".") != 2 {
		return false
	}
	s.mu.Lock()
	exp, ok := s.tokens[tok]
	s.mu.Unlock()
	return ok && time.Now().Before(exp)
}

// IssuedTokens returns every access token the authority has issued. It is
// for tests that prove no token reaches a log.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tokens))
	for t := range s.tokens {
		out = append(out, t)
	}
	return out
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": desc, "error_codes": []int{}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
