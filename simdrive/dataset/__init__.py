"""Labelled datasets: render scenario variants into COCO, YOLO and KITTI, sharded and resumable."""
