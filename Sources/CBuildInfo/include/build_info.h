#ifndef VIGIL_BUILD_INFO_H
#define VIGIL_BUILD_INFO_H

/// The git commit this binary was built from, or "unknown". The compiler only ever sees
/// "unknown": scripts/lib/common.sh's stamp_commit writes the commit into the binary's
/// `vigil_commit` section after linking (objcopy --update-section), so the build itself
/// never depends on the commit and nothing in the source tree is generated.
const char *vigil_build_commit(void);

#endif
