// Package onnxpb holds the Go types for the ONNX model format (ModelProto,
// GraphProto, NodeProto, TensorProto, ValueInfoProto, …), generated from
// onnx.proto. Haechi uses them to write and read ONNX files (see
// classifiers/textmodel Export and Import); nothing here runs a model.
//
// onnx.proto is a copy of /usr/include/onnx/onnx.proto from Debian's
// libonnx-dev 1.12.0-2+b4 (ONNX 1.12: IR version 8, opset 17), unchanged
// except for an added go_package option. onnx.pb.go was generated with
// protoc 3.21.12 (Debian's protobuf-compiler) and protoc-gen-go v1.36.12,
// the google.golang.org/protobuf version in go.mod. To regenerate:
//
//	apt-get install protobuf-compiler libonnx-dev
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go generate ./classifiers/onnxpb
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative onnx.proto
