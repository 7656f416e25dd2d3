// Node-API bindings of the fused model ops (attention, norms, elementwise), added as they land.
#include <napi.h>

namespace shorten {

Napi::Object InitOps(Napi::Env /*env*/, Napi::Object exports) { return exports; }

}  // namespace shorten
