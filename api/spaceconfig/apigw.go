package spaceconfig

import (
	"errors"
	"fmt"
	"net/url"
)

// apigwFormat is the name of the JSON schema format for API gateway URLs.
const apigwFormat = "apigw-url"

// checkAPIGWURL tells whether s is an API gateway URL under opts: an
// absolute http or https URL with a host and no user info whose host
// (with its port, if any) matches opts.APIGWHost when that is set.
func (o Options) checkAPIGWURL(s string) error {
	u, err := url.Parse(s)
	isURL := err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Opaque == ""
	if isURL && u.User != nil {
		return errors.New("must be a URL without user info (user@host)")
	}
	if o.APIGWHost == nil {
		if !isURL {
			return errors.New("must be an absolute http(s) URL")
		}
		return nil
	}
	if !isURL || !o.APIGWHost.MatchString(u.Host) {
		return fmt.Errorf("must be an http(s) API gateway URL whose host matches %s", o.APIGWHost)
	}
	return nil
}
