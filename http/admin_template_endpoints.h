// The template endpoints of the staff admin API (docs/ADMIN.md, "Templates"), kept apart from
// http/admin_endpoints.cpp: GET and PUT of a pass type's draft, one of its images, a preview of
// a member's pass from the draft, and publishing it. Thin, like the others: they take the call
// apart and hand it to handlers::TemplateService (AdminServices::templates).
//
// Thread-safety: as RunAdminEndpoint — on the admin pool's workers, concurrently.
#pragma once

#include "base/error.h"
#include "http/admin_endpoints.h"

namespace passledger::http {

// `id` is one of kTemplateGet, kTemplatePut, kTemplateImage, kTemplatePreview,
// kTemplatePublish. kUnavailable when the server runs without template editing.
Result<AdminAnswer> RunTemplateEndpoint(AdminRouteId id, const AdminServices& services,
                                        const AdminCall& call);

}  // namespace passledger::http
