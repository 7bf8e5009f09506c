//! The sandbox login and consent pages: plain HTML forms, every value escaped, CSRF token in a
//! hidden field, never framed.

use crate::api::authorize::PageContext;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f3f5f8;color:#1d2733;margin:0}
main{max-width:26rem;margin:4rem auto;background:#fff;border-radius:10px;padding:2rem;box-shadow:0 2px 12px #0002}
h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .3rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #b8c2cc;border-radius:6px}
button{margin-top:1.2rem;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#1e3a5f;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#e4e8ee;color:#1d2733;margin-left:.5rem}.error{color:#a31515;background:#fdecec;padding:.6rem;border-radius:6px}
ul{padding-left:1.2rem}code{background:#eef1f5;padding:.1rem .3rem;border-radius:4px}.sandbox{font-size:.8rem;color:#6b7785}";

/// A page without a form: nothing may be posted from it.
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    page_posting_to(status, title, body, &[])
}

/// A page whose form posts here and whose answer may redirect the browser to `targets` (the
/// app's redirect URI): the CSP's `form-action` allows exactly those, since browsers apply it
/// to a form's redirects too.
pub fn page_posting_to(
    status: StatusCode,
    title: &str,
    body: &str,
    targets: &[String],
) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body><main>{body}<p class=\"sandbox\">Authdesk sandbox issuer</p></main></body></html>",
        escape(title)
    );
    let mut r = (status, Html(html)).into_response();
    let h = r.headers_mut();
    let form_action = if targets.is_empty() {
        "'self'".to_string()
    } else {
        format!("'self' {}", targets.join(" "))
    };
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action {form_action}"
    );
    // Registered redirect URIs are ASCII (`redirect_uri`), so the header is valid; were one
    // not, the page would still get the strictest policy rather than none.
    let csp = HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ));
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

pub fn error_page(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Request refused",
        &format!(
            "<h1>This request cannot go on</h1><p class=\"error\">{}</p>",
            escape(message)
        ),
    )
}

pub fn login(ctx: &PageContext) -> Response {
    let error = ctx
        .error
        .as_ref()
        .map(|e| format!("<p class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in to continue to {app}</h1>{error}
<form method=\"post\" action=\"{action}\">
<input type=\"hidden\" name=\"interaction\" value=\"{id}\">
<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">
<label for=\"username\">User name</label><input type=\"text\" id=\"username\" name=\"username\" value=\"{hint}\" autocomplete=\"username\" required autofocus>
<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>
<button type=\"submit\">Sign in</button>
</form>",
        app = escape(&ctx.client_name),
        action = escape(&ctx.login_action),
        id = escape(&ctx.form_token),
        csrf = escape(&ctx.csrf_token),
        hint = escape(ctx.login_hint.as_deref().unwrap_or("")),
    );
    page_posting_to(
        if ctx.error.is_some() {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        },
        "Sign in",
        &body,
        &ctx.redirect_targets,
    )
}

pub fn consent(ctx: &PageContext) -> Response {
    let scopes: String = ctx
        .scopes
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", escape(s)))
        .collect();
    let claims = if ctx.claims.is_empty() {
        String::new()
    } else {
        let names: String = ctx
            .claims
            .iter()
            .map(|c| format!("<li><code>{}</code></li>", escape(c)))
            .collect();
        format!("<p>and these details about you, by name:</p><ul>{names}</ul>")
    };
    let body = format!(
        "<h1>{app} wants access</h1><p>Signed in as <strong>{user}</strong>. {app} asks for:</p><ul>{scopes}</ul>{claims}
<form method=\"post\" action=\"{action}\">
<input type=\"hidden\" name=\"interaction\" value=\"{id}\">
<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">
<button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>
<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button>
</form>",
        app = escape(&ctx.client_name),
        user = escape(ctx.username.as_deref().unwrap_or("")),
        action = escape(&ctx.consent_action),
        id = escape(&ctx.form_token),
        csrf = escape(&ctx.csrf_token),
    );
    page_posting_to(StatusCode::OK, "Allow access", &body, &ctx.redirect_targets)
}

/// The logout confirmation (RP-Initiated Logout 1.0 §2: the OP asks the user).
pub fn logout_confirm(c: &crate::api::logout::Confirm) -> Response {
    let r = &c.request;
    let hidden = |name: &str, value: Option<&str>| {
        value
            .map(|v| {
                format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                    escape(v)
                )
            })
            .unwrap_or_default()
    };
    let app = r
        .client_name
        .as_deref()
        .map(|n| format!(" <strong>{}</strong> asks to sign you out.", escape(n)))
        .unwrap_or_default();
    let state = if c.signed_in {
        "You are signed in to this sandbox issuer."
    } else {
        "This browser is not signed in to this sandbox issuer."
    };
    let body = format!(
        "<h1>Sign out?</h1><p>{state}{app}</p>
<p>Signing out ends your login session here: the next sign-in asks for your password again. Apps you gave offline access keep it: their refresh tokens are not revoked.</p>
<form method=\"post\" action=\"{action}\">
<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">{client}{uri}{st}
<button type=\"submit\" name=\"decision\" value=\"logout\">Sign out</button>
<button type=\"submit\" name=\"decision\" value=\"stay\" class=\"secondary\">Stay signed in</button>
</form>",
        action = escape(&c.action),
        csrf = escape(&c.csrf_token),
        client = hidden("client_id", r.client_id.as_deref()),
        uri = hidden("post_logout_redirect_uri", r.redirect_uri.as_deref()),
        st = hidden("state", r.state.as_deref()),
    );
    let targets: Vec<String> = r
        .redirect_uri
        .as_deref()
        .and_then(authdesk_core::redirect_uri::csp_source)
        .into_iter()
        .collect();
    page_posting_to(StatusCode::OK, "Sign out", &body, &targets)
}

/// After the confirmation, when no app asked to get the user back.
pub fn logged_out(signed_out: bool) -> Response {
    let body = if signed_out {
        "<h1>You are signed out</h1><p>Your login session at this sandbox issuer has ended. You can close this page.</p>"
    } else {
        "<h1>Nothing changed</h1><p>No login session was ended. You can close this page.</p>"
    };
    page(StatusCode::OK, "Signed out", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_may_send_the_browser_only_here_and_to_the_app() {
        assert_eq!(
            authdesk_core::redirect_uri::csp_source("https://app.example.com/cb?x=1").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            authdesk_core::redirect_uri::csp_source("http://127.0.0.1:9/callback").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(
            authdesk_core::redirect_uri::csp_source("com.example.app:/oauth2").as_deref(),
            Some("com.example.app:")
        );
        let r = page_posting_to(StatusCode::OK, "t", "", &["https://app.example.com".into()]);
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.ends_with("form-action 'self' https://app.example.com"),
            "{csp}"
        );
        let r = page(StatusCode::OK, "t", "");
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.ends_with("form-action 'self'"), "{csp}");
    }

    #[test]
    fn escapes_everything_reflected() {
        assert_eq!(
            escape(r#"<script>"x"&'y'</script>"#),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
    }
}
