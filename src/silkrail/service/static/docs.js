// The API docs: Swagger UI from this service's own copy, on this service's OpenAPI document
// (a script file, not an inline one: the Content-Security-Policy allows scripts from here only).
"use strict";
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
