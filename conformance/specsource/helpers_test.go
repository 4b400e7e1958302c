package specsource

import (
	"os"

	"github.com/getkin/kin-openapi/openapi3"
)

type openapiT = openapi3.T

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
