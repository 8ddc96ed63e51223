package onnxpb

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/proto"
)

// Helpers for writing graphs by hand, shared by Haechi's exporters.

// Node is a node with one output.
func Node(name, op string, inputs []string, output string, attrs ...*AttributeProto) *NodeProto {
	return &NodeProto{
		Name: proto.String(name), OpType: proto.String(op),
		Input: inputs, Output: []string{output}, Attribute: attrs,
	}
}

// IntAttr is an integer attribute.
func IntAttr(name string, v int64) *AttributeProto {
	return &AttributeProto{Name: proto.String(name), Type: AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

// IntsAttr is an integer-list attribute.
func IntsAttr(name string, vs ...int64) *AttributeProto {
	return &AttributeProto{Name: proto.String(name), Type: AttributeProto_INTS.Enum(), Ints: vs}
}

// FloatAttr is a float attribute.
func FloatAttr(name string, v float32) *AttributeProto {
	return &AttributeProto{Name: proto.String(name), Type: AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

// FloatTensor is a float32 initializer stored as little-endian raw data.
func FloatTensor(name string, vals []float32, dims ...int64) *TensorProto {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &TensorProto{
		Name: proto.String(name), Dims: dims,
		DataType: proto.Int32(int32(TensorProto_FLOAT)), RawData: raw,
	}
}

// Int64Tensor is a one-dimensional int64 initializer.
func Int64Tensor(name string, vals ...int64) *TensorProto {
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return &TensorProto{
		Name: proto.String(name), Dims: []int64{int64(len(vals))},
		DataType: proto.Int32(int32(TensorProto_INT64)), RawData: raw,
	}
}

// ValueInfo describes a graph input or output tensor.
func ValueInfo(name string, typ TensorProto_DataType, dims ...*TensorShapeProto_Dimension) *ValueInfoProto {
	return &ValueInfoProto{
		Name: proto.String(name),
		Type: &TypeProto{Value: &TypeProto_TensorType{TensorType: &TypeProto_Tensor{
			ElemType: proto.Int32(int32(typ)),
			Shape:    &TensorShapeProto{Dim: dims},
		}}},
	}
}

// SymDim is a named (symbolic) dimension, such as the batch size.
func SymDim(name string) *TensorShapeProto_Dimension {
	return &TensorShapeProto_Dimension{Value: &TensorShapeProto_Dimension_DimParam{DimParam: name}}
}

// FixedDim is a fixed dimension.
func FixedDim(n int64) *TensorShapeProto_Dimension {
	return &TensorShapeProto_Dimension{Value: &TensorShapeProto_Dimension_DimValue{DimValue: n}}
}
