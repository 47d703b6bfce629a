package temporalclient

import (
	"bytes"
	"encoding/json"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// CompressAbove is the payload size from which payloads are stored
// zlib-compressed. Smaller payloads stay plain JSON, so the Temporal UI shows
// them as they are; large pipeline trees and task states (continue-as-new
// input, thousands of nodes) stay well under Temporal's 2 MiB payload limit.
const CompressAbove = 128 << 10

// DataConverter is the converter every bkflow client and worker uses: JSON
// payloads whose numbers decode as json.Number (so an integer variable stays
// an integer through Temporal, as it does through Python's json), and large
// payloads compressed.
func DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(PayloadConverter(), largePayloadCodec{
		zlib: converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: false}),
	})
}

// PayloadConverter is Temporal's default converter with numbers-preserving
// JSON; tests on the SDK's test environment use it too.
func PayloadConverter() converter.DataConverter {
	return converter.NewCompositeDataConverter(
		converter.NewNilPayloadConverter(),
		converter.NewByteSlicePayloadConverter(),
		converter.NewProtoJSONPayloadConverter(),
		converter.NewProtoPayloadConverter(),
		numberJSON{converter.NewJSONPayloadConverter()},
	)
}

// numberJSON is the JSON payload converter, decoding numbers as json.Number.
type numberJSON struct {
	*converter.JSONPayloadConverter
}

func (numberJSON) FromPayload(p *commonpb.Payload, valuePtr any) error {
	dec := json.NewDecoder(bytes.NewReader(p.GetData()))
	dec.UseNumber()
	if err := dec.Decode(valuePtr); err != nil {
		return fmt.Errorf("%w: %v", converter.ErrUnableToDecode, err)
	}
	return nil
}

// largePayloadCodec compresses payloads of CompressAbove bytes or more.
type largePayloadCodec struct {
	zlib converter.PayloadCodec
}

func (c largePayloadCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if p.Size() < CompressAbove {
			out[i] = p
			continue
		}
		enc, err := c.zlib.Encode([]*commonpb.Payload{p})
		if err != nil {
			return nil, err
		}
		out[i] = enc[0]
	}
	return out, nil
}

func (c largePayloadCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return c.zlib.Decode(payloads)
}
