package httpapi

import (
	"errors"
	"io"
	"mime/multipart"
	"net/url"
)

// multipartValues reads the text fields of a multipart/form-data body
// (Postman's default for form bodies); files are refused.
func multipartValues(body io.Reader, boundary string) (url.Values, error) {
	if boundary == "" {
		return nil, errors.New("no boundary")
	}
	mr := multipart.NewReader(body, boundary)
	values := url.Values{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return values, nil
		} else if err != nil {
			return nil, err
		}
		if p.FileName() != "" || p.FormName() == "" {
			return nil, errors.New("only text fields are accepted")
		}
		v, err := io.ReadAll(io.LimitReader(p, maxFormBytes+1))
		if err != nil || len(v) > maxFormBytes {
			return nil, errors.New("field too large")
		}
		values.Add(p.FormName(), string(v))
	}
}
