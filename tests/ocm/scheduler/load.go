package main

// Reading the hub objects: YAML or JSON files (multi-document, `kind: List`),
// decoded with the scheme of open-cluster-management.io/api. Objects of other
// groups (Subscriptions, Channels, Namespaces a rendered hub/ folder also holds)
// are skipped; an object of the cluster group that does not decode is an error.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	clusterscheme "open-cluster-management.io/api/client/cluster/clientset/versioned/scheme"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	clusterv1alpha1 "open-cluster-management.io/api/cluster/v1alpha1"
	clusterv1beta1 "open-cluster-management.io/api/cluster/v1beta1"
	clusterv1beta2 "open-cluster-management.io/api/cluster/v1beta2"
)

const clusterGroup = "cluster.open-cluster-management.io"

type hubObjects struct {
	clusters   []*clusterv1.ManagedCluster
	sets       []*clusterv1beta2.ManagedClusterSet
	bindings   []*clusterv1beta2.ManagedClusterSetBinding
	placements []*clusterv1beta1.Placement
	decisions  []*clusterv1beta1.PlacementDecision
	scores     []*clusterv1alpha1.AddOnPlacementScore
}

type typeMeta struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// inputFiles lists the files named on the command line; a directory stands for
// every .yaml, .yml and .json file under it, in lexical order.
func inputFiles(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, arg)
			continue
		}
		var found []string
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := strings.ToLower(filepath.Ext(path))
			if !d.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func loadObjects(paths []string) (*hubObjects, error) {
	objs := &hubObjects{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for doc := 1; ; doc++ {
			raw, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
			}
			js, err := utilyaml.ToJSON(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
			}
			if err := objs.add(js); err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
			}
		}
	}
	return objs, nil
}

func (o *hubObjects) add(js []byte) error {
	if len(bytes.TrimSpace(js)) == 0 || string(bytes.TrimSpace(js)) == "null" {
		return nil
	}
	var tm typeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return err
	}
	if strings.HasSuffix(tm.Kind, "List") && tm.Items != nil {
		for _, item := range tm.Items {
			if err := o.add(item); err != nil {
				return err
			}
		}
		return nil
	}
	if strings.SplitN(tm.APIVersion, "/", 2)[0] != clusterGroup {
		return nil
	}
	obj, _, err := clusterscheme.Codecs.UniversalDeserializer().Decode(js, nil, nil)
	if err != nil {
		return err
	}
	switch v := obj.(type) {
	case *clusterv1.ManagedCluster:
		o.clusters = append(o.clusters, v)
	case *clusterv1beta2.ManagedClusterSet:
		o.sets = append(o.sets, v)
	case *clusterv1beta2.ManagedClusterSetBinding:
		o.bindings = append(o.bindings, v)
	case *clusterv1beta1.Placement:
		o.placements = append(o.placements, v)
	case *clusterv1beta1.PlacementDecision:
		o.decisions = append(o.decisions, v)
	case *clusterv1alpha1.AddOnPlacementScore:
		o.scores = append(o.scores, v)
	default:
		return fmt.Errorf("%s/%s is not an input of the scheduler", tm.APIVersion, tm.Kind)
	}
	return nil
}
