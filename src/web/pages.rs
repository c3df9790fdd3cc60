//! The dashboard's layout, its pages and the navigation a role may use.
//! Each page is rendered with what does not change (names, the navigation);
//! the script fills in live data from the JSON API. The farm and tasks
//! pages are in [`super::farm`].

use crate::api::auth::{FARM_ROLES, ORDER_ROLES, SUBMIT_ROLES};
use crate::api::{ApiError, Caller};
use crate::store::Role;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};

/// One page of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Printers as tiles.
    Farm,
    /// Open work for technicians.
    Tasks,
    /// Waiting jobs.
    Queue,
    /// Orders and their units.
    Orders,
    /// Throughput, OEE and lost time.
    Throughput,
    /// Upload a G-code file.
    Upload,
}

impl Page {
    /// Every page, in navigation order.
    pub const ALL: [Page; 6] = [
        Page::Farm,
        Page::Tasks,
        Page::Queue,
        Page::Orders,
        Page::Throughput,
        Page::Upload,
    ];

    /// Its path.
    pub fn path(self) -> &'static str {
        match self {
            Page::Farm => "/",
            Page::Tasks => "/tasks",
            Page::Queue => "/queue",
            Page::Orders => "/orders",
            Page::Throughput => "/throughput",
            Page::Upload => "/upload",
        }
    }

    /// Its name in the navigation.
    pub fn label(self) -> &'static str {
        match self {
            Page::Farm => "Farm",
            Page::Tasks => "Tasks",
            Page::Queue => "Queue",
            Page::Orders => "Orders",
            Page::Throughput => "Throughput",
            Page::Upload => "Upload",
        }
    }

    /// The name the script knows it by.
    pub fn id(self) -> &'static str {
        match self {
            Page::Farm => "farm",
            Page::Tasks => "tasks",
            Page::Queue => "queue",
            Page::Orders => "orders",
            Page::Throughput => "throughput",
            Page::Upload => "upload",
        }
    }

    /// The roles that may open it (the same as its API's).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Page::Farm | Page::Tasks | Page::Throughput => FARM_ROLES,
            Page::Orders => ORDER_ROLES,
            Page::Queue | Page::Upload => SUBMIT_ROLES,
        }
    }
}

/// The page a role lands on after signing in.
pub fn home(role: Role) -> Page {
    match role {
        Role::Shop => Page::Orders,
        _ => Page::Farm,
    }
}

/// Security headers of every dashboard page: scripts, styles and
/// connections only from this server; no framing.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
    script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; \
    base-uri 'none'";

/// A whole HTML document with the dashboard's headers.
pub fn document(status: StatusCode, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · printfarm" }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body { (body) }
        }
    };
    (
        status,
        [
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "same-origin"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(markup.into_string()),
    )
        .into_response()
}

/// A page of the signed-in dashboard: header, navigation, `main`.
pub fn layout(page: Page, caller: &Caller, main: Markup) -> Response {
    let body = html! {
        a.skip href="#main" { "Skip to content" }
        header.top {
            span.brand { "printfarm" }
            nav aria-label="Dashboard" {
                ul {
                    @for other in Page::ALL.into_iter().filter(|p| p.roles().contains(&caller.role)) {
                        li {
                            @if other == page {
                                a href=(other.path()) aria-current="page" { (other.label()) }
                            } @else {
                                a href=(other.path()) { (other.label()) }
                            }
                        }
                    }
                }
            }
            span.who { "Signed in as " strong { (caller.role) } }
            button #signout type="button" { "Sign out" }
        }
        main #main data-page=(page.id()) data-role=(caller.role) tabindex="-1" {
            h1 { (page.label()) }
            p #live .live role="status" aria-live="polite" {}
            (main)
        }
    };
    document(StatusCode::OK, page.label(), body)
}

/// The sign-in page, with `error` said above the form.
pub fn sign_in_page(status: StatusCode, error: Option<&str>) -> Response {
    let body = html! {
        main #main .signin {
            h1 { "printfarm" }
            p { "Sign in with an API key (" code { "printfarm keys create" } ")." }
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            form method="post" action="/session" {
                label for="key" { "API key" }
                input #key name="key" type="password" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        }
    };
    document(status, "Sign in", body)
}

/// The caller allowed on `page`, or the response to send instead: the
/// sign-in page without a session, the role's home page without the role.
pub fn allowed(page: Page, caller: Result<Caller, ApiError>) -> Result<Caller, Box<Response>> {
    let caller = caller.map_err(|_| Box::new(sign_in_page(StatusCode::OK, None)))?;
    if caller.require(page.roles()).is_err() {
        return Err(Box::new(
            Redirect::to(home(caller.role).path()).into_response(),
        ));
    }
    Ok(caller)
}

/// `GET /queue`: waiting jobs in scheduling order.
pub async fn queue(caller: Result<Caller, ApiError>) -> Response {
    let caller = match allowed(Page::Queue, caller) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let main = html! {
        p.hint { "Queued, held, rendering and needs-review jobs, in the order the scheduler takes them." }
        div.scroll {
            table #queue {
                thead { tr {
                    th scope="col" { "Job" } th scope="col" { "State" } th scope="col" { "Priority" }
                    th scope="col" { "Due" } th scope="col" { "Material" } th scope="col" { "Est. time" }
                    th scope="col" { "Printers able" } th scope="col" { "Actions" }
                } }
                tbody {}
            }
        }
    };
    layout(Page::Queue, &caller, main)
}

/// `GET /orders`: orders with their progress.
pub async fn orders(caller: Result<Caller, ApiError>) -> Response {
    let caller = match allowed(Page::Orders, caller) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let main = html! { div #orders .orders {} };
    layout(Page::Orders, &caller, main)
}

/// `GET /upload`: a G-code file by drag and drop or file picker.
pub async fn upload(caller: Result<Caller, ApiError>) -> Response {
    let caller = match allowed(Page::Upload, caller) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let main = html! {
        form #upload .drop {
            label for="file" { "Drop a G-code file here, or choose one" }
            input #file name="file" type="file" accept=".gcode,.gco,.g";
            button type="submit" { "Upload" }
        }
        div #uploaded {}
    };
    layout(Page::Upload, &caller, main)
}

#[cfg(test)]
mod tests {
    use super::{home, Page};
    use crate::store::Role;

    #[test]
    fn each_role_lands_on_a_page_it_may_open() {
        assert_eq!(home(Role::Operator), Page::Farm);
        assert_eq!(home(Role::Technician), Page::Farm);
        assert_eq!(home(Role::Shop), Page::Orders);
        for role in [Role::Operator, Role::Technician, Role::Shop] {
            assert!(home(role).roles().contains(&role));
        }
        assert!(!Page::Orders.roles().contains(&Role::Technician));
        assert!(!Page::Farm.roles().contains(&Role::Shop));
    }
}
