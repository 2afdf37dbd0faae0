//! The accounts page, for administrators (accounts are made with `dossier user`).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use maud::html;

use super::{Reply, layout, page_response, role_label};
use crate::i18n::t;
use crate::users::Role;
use crate::{App, Viewer};

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/admin/users", get(users))
}

async fn users(State(app): State<Arc<App>>, viewer: Viewer) -> Reply {
    viewer.require(&app, Role::Admin, "accounts").await?;
    let lang = viewer.lang;
    let list = app.blocking(|app| app.users.list()).await;
    let list = list.map_err(|e| viewer.internal(e))?;
    let body = html! {
        h1 { (t(lang, "users")) }
        table.list {
            thead { tr { th { (t(lang, "user")) } th { (t(lang, "role")) } th { (t(lang, "status")) } th { (t(lang, "created")) } } }
            tbody {
                @for u in &list {
                    tr {
                        td { (u.name) }
                        td { (role_label(lang, u.role)) }
                        td { (t(lang, if u.disabled { "disabled" } else { "active" })) }
                        td { (u.created) }
                    }
                }
            }
        }
        p.muted { (t(lang, "users-help")) }
    };
    Ok(page_response(
        StatusCode::OK,
        layout(lang, Some(&viewer), t(lang, "users"), "/admin/users", body),
    ))
}
